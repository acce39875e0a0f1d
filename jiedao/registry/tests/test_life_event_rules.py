"""Registry rules: a death or a move out ends special-group tags, life events take
no future dates, 本人/户主 only for the head, 入户/出户 in the timeline, household numbers and names checked."""

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from jiedao.audit.models import AuditEvent
from jiedao.core.exceptions import ServiceError, ValidationFailed
from jiedao.registry import services
from jiedao.registry.choices import LifeEventKind, PersonStatus
from jiedao.registry.demo import GIVEN_NAMES, SURNAMES
from jiedao.registry.models import Household, HouseholdMember, LifeEvent, Person, SpecialGroupTag
from jiedao.registry.tests.factories import house, new_id_number, person
from jiedao.registry.validators import InvalidNumber, clean_person_name, parse_household_number

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def timeline(someone) -> list[tuple[str, str]]:
    return list(LifeEvent.objects.filter(person=someone).order_by("id").values_list("kind", "summary"))


# --- 1. a death or a move out ends special-group tags; no new tag for them ---------------------------------


def test_death_ends_every_open_tag_on_the_day_of_death(tree, clerk, django_capture_on_commit_callbacks):
    today = timezone.localdate()
    someone = person(clerk, tree.community_a1)
    dibao = services.tag_add(actor=clerk, person=someone, group="dibao", valid_from=date(2024, 1, 1))
    tekun = services.tag_add(
        actor=clerk,
        person=someone,
        group="tekun",
        valid_from=date(2024, 1, 1),
        valid_until=today + timedelta(300),
    )
    ended = services.tag_add(
        actor=clerk,
        person=someone,
        group="elderly_alone",
        valid_from=date(2020, 1, 1),
        valid_until=date(2021, 1, 1),
    )
    died_on = today - timedelta(days=10)
    late = services.tag_add(
        actor=clerk,
        person=someone,
        group="disabled",
        valid_from=today - timedelta(days=2),
        details={"type": "4", "grade": "2"},
        evidence_file=SimpleUploadedFile("残疾人证.pdf", PDF, content_type="application/pdf"),
    )
    stored = late.evidence_file.name

    with django_capture_on_commit_callbacks(execute=True):
        services.person_register_death(actor=clerk, person=someone, died_on=died_on)

    dibao.refresh_from_db(), tekun.refresh_from_db(), ended.refresh_from_db()
    assert dibao.valid_until == died_on and tekun.valid_until == died_on
    assert ended.valid_until == date(2021, 1, 1)  # already over: untouched
    assert not SpecialGroupTag.objects.filter(pk=late.pk).exists()  # was to begin after the death
    assert not late.evidence_file.storage.exists(stored)
    assert not SpecialGroupTag.objects.filter(person=someone).filter(
        SpecialGroupTag.valid_on(died_on + timedelta(1))
    )
    summaries = [summary for kind, summary in timeline(someone) if kind == LifeEventKind.TAG_ENDED]
    assert "解除低保对象标记：死亡" in summaries and "解除特困人员标记：死亡" in summaries
    assert any(s.startswith("撤销残疾人标记：起始日期") and "晚于死亡日期" in s for s in summaries)
    assert timeline(someone)[-1] == (LifeEventKind.DEATH, "死亡")  # the death heads the timeline
    assert AuditEvent.objects.filter(event_name="registry.tag.ended", target_id=str(someone.pk)).count() == 3


def test_move_out_ends_open_tags_on_the_moving_day(tree, clerk):
    someone = person(clerk, tree.community_a1)
    tag = services.tag_add(actor=clerk, person=someone, group="dibao", valid_from=date(2024, 1, 1))
    moved_on = timezone.localdate() - timedelta(days=1)
    services.person_move_out(actor=clerk, person=someone, moved_on=moved_on, destination="上海市")
    tag.refresh_from_db()
    assert tag.valid_until == moved_on
    assert (LifeEventKind.TAG_ENDED, "解除低保对象标记：迁出") in timeline(someone)


@pytest.mark.parametrize("how", ["death", "move_out"])
def test_no_tag_for_a_dead_or_moved_out_person(tree, clerk, how):
    someone = person(clerk, tree.community_a1)
    if how == "death":
        services.person_register_death(actor=clerk, person=someone, died_on=timezone.localdate())
    else:
        services.person_move_out(
            actor=clerk, person=someone, moved_on=timezone.localdate(), destination="上海市"
        )
    events = LifeEvent.objects.count()
    with pytest.raises(ServiceError) as error:
        services.tag_add(actor=clerk, person=someone, group="dibao", valid_from=date(2024, 1, 1))
    status = "已死亡" if how == "death" else "已迁出"
    assert error.value.message == f"该居民当前状态为“{status}”，不能标记特殊人群。"
    assert not SpecialGroupTag.objects.filter(person=someone).exists() and LifeEvent.objects.count() == events


# --- 2. no future dates, no change to the same address -----------------------------------------------------


def test_life_events_refuse_a_date_after_today(tree, clerk, family):
    household = family[0]
    tomorrow = timezone.localdate() + timedelta(days=1)
    someone = person(clerk, tree.community_a1)
    with pytest.raises(ValidationFailed) as error:
        services.person_move_out(actor=clerk, person=someone, moved_on=date(2030, 1, 1), destination="上海市")
    assert error.value.errors == {"moved_on": ["迁出日期不能晚于今天。"]}
    with pytest.raises(ValidationFailed) as error:
        services.person_move_out(actor=clerk, person=someone, moved_on=date(1970, 1, 1), destination="上海市")
    assert error.value.errors == {"moved_on": ["迁出日期不能早于出生日期。"]}
    data = services.PersonData(name="新来", id_number=new_id_number(), org=tree.community_a1)
    with pytest.raises(ValidationFailed) as error:
        services.person_move_in(actor=clerk, data=data, moved_on=tomorrow, origin="安徽")
    assert error.value.errors == {"moved_on": ["迁入日期不能晚于今天。"]}
    home = house(clerk, tree.community_a1, room="502")
    with pytest.raises(ValidationFailed) as error:
        services.person_change_address(
            actor=clerk, person=someone, house=home, relation="family", changed_on=date(2030, 1, 1)
        )
    assert error.value.errors == {"changed_on": ["变更日期不能晚于今天。"]}
    baby = services.PersonData(
        name="王小宝", id_number=new_id_number(date(2024, 6, 1)), org=tree.community_a1, birth_date=tomorrow
    )
    with pytest.raises(ValidationFailed) as error:
        services.person_register_birth(actor=clerk, household=household, data=baby, relation="20")
    assert error.value.errors["birth_date"] == ["出生日期不能晚于今天。"]
    someone.refresh_from_db()
    assert someone.status == PersonStatus.LIVING and someone.house_id is None
    assert not Person.objects.filter(name__in=["新来", "王小宝"]).exists()
    assert [kind for kind, _summary in timeline(someone)] == [LifeEventKind.REGISTERED]


def test_address_change_to_the_current_address_is_refused(tree, clerk):
    home = house(clerk, tree.community_a1)
    someone = person(clerk, tree.community_a1, house=home)
    with pytest.raises(ValidationFailed) as error:
        services.person_change_address(actor=clerk, person=someone, house=home, relation="owner")
    assert error.value.errors == {"house": ["新住址与现住址相同。"]}
    elsewhere = person(clerk, tree.community_a1, residence_address="外地路1号")
    with pytest.raises(ValidationFailed) as error:
        services.person_change_address(
            actor=clerk, person=elsewhere, house=None, relation="family", residence_address=" 外地路1号 "
        )
    assert error.value.errors == {"residence_address": ["新住址与现住址相同。"]}
    assert not LifeEvent.objects.filter(kind=LifeEventKind.ADDRESS_CHANGE).exists()
    services.person_change_address(
        actor=clerk, person=elsewhere, house=None, relation="family", residence_address="外地路2号"
    )
    assert LifeEvent.objects.filter(kind=LifeEventKind.ADDRESS_CHANGE, person=elsewhere).count() == 1


# --- 3. 本人 and 户主 only for the head ------------------------------------------------------------------


def test_self_and_head_relations_are_refused_for_other_members(tree, clerk, family):
    household, head, wife, son = family
    for relation in ("01", "02"):
        with pytest.raises(ValidationFailed) as error:
            services.household_change_head(
                actor=clerk, household=household, new_head=son, old_head_relation=relation
            )
        assert "只用于户主本人" in error.value.errors["relation"][0]
    with pytest.raises(ValidationFailed) as error:
        services.household_change_head(
            actor=clerk, household=household, new_head=son, old_head_relation="51", relations={wife.pk: "01"}
        )
    assert error.value.errors["relation"] == ["“本人”只用于户主本人，请填写该成员与户主的关系。"]
    newcomer = person(clerk, tree.community_a1, name="李媳妇", id_number=new_id_number(female=True))
    with pytest.raises(ValidationFailed):
        services.household_add_member(actor=clerk, household=household, person=newcomer, relation="01")
    household.refresh_from_db()
    assert household.head_id == head.pk
    assert dict(household.members.values_list("person_id", "relation")) == {
        head.pk: "02",
        wife.pk: "10",
        son.pk: "20",
    }
    services.household_change_head(actor=clerk, household=household, new_head=son, old_head_relation="51")
    assert HouseholdMember.objects.get(person=son).relation == "02"
    assert HouseholdMember.objects.get(person=head).relation == "51"


# --- 4. 入户 and 出户 in the timeline --------------------------------------------------------------------


def test_joining_and_leaving_a_household_are_in_the_timeline(tree, clerk, family):
    household, head, _wife, son = family
    assert (LifeEventKind.HOUSEHOLD_JOIN, "入户 330110001001-0001（户主）") in timeline(head)
    assert (LifeEventKind.HOUSEHOLD_JOIN, "入户 330110001001-0001（子）") in timeline(son)
    newcomer = person(clerk, tree.community_a1, name="李媳妇", id_number=new_id_number(female=True))
    services.household_add_member(actor=clerk, household=household, person=newcomer, relation="38")
    services.household_remove_member(actor=clerk, household=household, person=newcomer)
    assert timeline(newcomer)[1:] == [
        (LifeEventKind.HOUSEHOLD_JOIN, "入户 330110001001-0001（儿媳）"),
        (LifeEventKind.HOUSEHOLD_LEAVE, "出户 330110001001-0001"),
    ]
    event = LifeEvent.objects.get(person=newcomer, kind=LifeEventKind.HOUSEHOLD_LEAVE)
    assert event.actor == clerk and event.occurred_on == timezone.localdate()
    assert event.get_kind_display() == "出户"
    baby = services.person_register_birth(
        actor=clerk,
        household=household,
        data=services.PersonData(
            name="王小宝", id_number=new_id_number(date(2024, 6, 1)), org=tree.community_a1
        ),
        relation="20",
    )
    assert [kind for kind, _summary in timeline(baby)] == [LifeEventKind.BIRTH]  # “出生，入户 …” says it


# --- 5. household numbers; no merge into itself -----------------------------------------------------------


def test_split_and_create_check_the_household_number(tree, clerk, family):
    household, _head, _wife, son = family
    for number in ("abc", "户号一", "12 34*"):
        with pytest.raises(ValidationFailed) as error:
            services.household_split(
                actor=clerk, household=household, persons=[], new_number=number, new_head=son, relations={}
            )
        assert "应由数字组成" in error.value.errors["new_number"][0]
    with pytest.raises(ValidationFailed) as error:
        services.household_create(
            actor=clerk,
            org=tree.community_a1,
            number="abc",
            registered_address="幸福路1号",
            head=person(clerk, tree.community_a1, name="赵四"),
        )
    assert error.value.errors["number"] == ["户号“abc”不正确：应由数字组成，可含字母和连字符（-）。"]
    assert Household.objects.count() == 1
    new = services.household_split(
        actor=clerk,
        household=household,
        persons=[],
        new_number="３３０１１０００１００１ 0002",
        new_head=son,
        relations={},
    )
    assert new.number == "3301100010010002"


def test_merging_a_household_into_itself_is_refused(clerk, family):
    household = family[0]
    with pytest.raises(ValidationFailed) as error:
        services.household_merge(actor=clerk, source=household, target=household, relations={})
    assert error.value.errors == {"target": ["不能并入本户。"]}


def test_household_number_rule():
    assert parse_household_number(" 330110001001-0001 ") == "330110001001-0001"
    assert parse_household_number("H-7") == "H-7"
    for bad, code in (("", "empty"), ("abc", "charset"), ("-12", "charset"), ("1" * 31, "length")):
        with pytest.raises(InvalidNumber) as error:
            parse_household_number(bad)
        assert error.value.code == code


# --- 6. a disabled person's tag needs type and grade ------------------------------------------------------


def test_disabled_tag_needs_type_and_grade(tree, clerk):
    someone = person(clerk, tree.community_a1)
    with pytest.raises(ValidationFailed) as error:
        services.tag_add(actor=clerk, person=someone, group="disabled", valid_from=date(2025, 1, 1))
    assert error.value.errors["disability_type"] == ["标记残疾人须选择残疾类别。"]
    assert error.value.errors["disability_grade"] == ["标记残疾人须选择残疾等级。"]
    with pytest.raises(ValidationFailed) as error:
        services.tag_add(
            actor=clerk,
            person=someone,
            group="disabled",
            valid_from=date(2025, 1, 1),
            details={"type": "4", "grade": " "},
        )
    assert list(error.value.errors) == ["disability_grade"]
    assert not SpecialGroupTag.objects.exists()
    tag = services.tag_add(
        actor=clerk,
        person=someone,
        group="disabled",
        valid_from=date(2025, 1, 1),
        details={"type": "4", "grade": "2"},
    )
    assert tag.details == {"type": "4", "grade": "2"}
    services.tag_add(
        actor=clerk, person=someone, group="dibao", valid_from=date(2025, 1, 1)
    )  # no details needed


# --- 7. names ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["=1+2", "@SUM(1+1)", "+86", "居民01", "张三<script>", "-Ann", "·"])
def test_names_that_are_not_names_are_refused_on_every_write(tree, clerk, bad):
    message = ["姓名只能包含汉字、字母和间隔号（·）。"]
    with pytest.raises(ValidationFailed) as error:
        services.person_create(
            actor=clerk, data=services.PersonData(name=bad, id_number=new_id_number(), org=tree.community_a1)
        )
    assert error.value.errors["name"] == message
    someone = person(clerk, tree.community_a1)
    with pytest.raises(ValidationFailed) as error:
        services.person_update(
            actor=clerk,
            person=someone,
            data=services.PersonData(name=bad, id_number=someone.id_number, org=tree.community_a1),
        )
    assert error.value.errors["name"] == message
    with pytest.raises(ValidationFailed) as error:
        services.person_move_in(
            actor=clerk,
            data=services.PersonData(name=bad, id_number=new_id_number(), org=tree.community_a1),
            moved_on=timezone.localdate(),
            origin="安徽",
        )
    assert error.value.errors["name"] == message
    assert list(Person.objects.values_list("name", flat=True)) == ["张三"]


def test_minority_foreign_and_rare_character_names_are_kept(tree, clerk):
    for typed, stored in (
        ("阿卜杜 · 热合曼", "阿卜杜·热合曼"),
        ("张  三", "张三"),
        ("玛丽•居里", "玛丽•居里"),
        ("Jean-Pierre O'Neil", "Jean-Pierre O'Neil"),
        ("José Núñez", "José Núñez"),
        ("林〇", "林〇"),
        ("𠀀明", "𠀀明"),
    ):
        someone = services.person_create(
            actor=clerk,
            data=services.PersonData(name=typed, id_number=new_id_number(), org=tree.community_a1),
        )
        assert someone.name == stored


def test_every_demo_name_passes_the_name_rule():
    for surname, _weight in SURNAMES:
        for given_names in GIVEN_NAMES.values():
            for given in given_names:
                assert clean_person_name(surname + given) == surname + given
