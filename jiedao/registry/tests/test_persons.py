from datetime import date

import pytest
from django.db import connection

from jiedao.audit.models import AuditEvent
from jiedao.core.exceptions import OutOfScope, PermissionDenied, ServiceError, ValidationFailed
from jiedao.registry import services
from jiedao.registry.choices import LifeEventKind, PersonStatus
from jiedao.registry.models import Household, LifeEvent, Person, SpecialGroupTag
from jiedao.registry.selectors import PersonFilter, search_persons
from jiedao.registry.tests.factories import house, new_id_number, person, staff


@pytest.fixture
def clerk(tree):
    return staff(tree.community_a1)


def test_register_person_derives_birth_and_gender_and_encrypts(tree, clerk):
    number = new_id_number(date(1990, 3, 7), female=True)
    created = person(clerk, tree.community_a1, name="李秀英", id_number=number.lower(), phone="138 0013 8000")
    assert (created.birth_date, created.gender) == (date(1990, 3, 7), "2")
    assert created.id_number_masked == number[:6] + "********" + number[-4:]
    assert created.phone_masked == "138****8000" and created.name_initials == "lxy"
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone FROM registry_person WHERE id = %s", [created.pk])
        stored_id, stored_phone = cursor.fetchone()
    assert number not in stored_id and "13800138000" not in stored_phone
    assert Person.objects.get(pk=created.pk).id_number == number.upper()
    event = AuditEvent.objects.get(event_name="registry.person.created")
    assert event.after["id_number_masked"] == created.id_number_masked and number not in str(event.after)
    assert LifeEvent.objects.filter(person=created, kind="registered").exists()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("11010519491231002", "应为18位"),
        ("110105194912310021", "校验位错误"),
        ("110105199002300021", "不存在"),
    ],
)
def test_bad_id_numbers_are_refused_and_nothing_is_written(tree, clerk, raw, message):
    with pytest.raises(ValidationFailed) as error:
        person(clerk, tree.community_a1, id_number=raw)
    assert any(message in m for m in error.value.errors["id_number"])
    assert (
        not Person.objects.exists()
        and not AuditEvent.objects.filter(event_name__startswith="registry").exists()
    )


def test_a_birth_date_that_contradicts_the_id_number_names_the_right_date(tree, clerk):
    from django.utils import translation

    number = new_id_number(date(1990, 3, 7))
    with pytest.raises(ValidationFailed) as error:
        person(clerk, tree.community_a1, id_number=number, birth_date=date(1990, 3, 8))
    assert error.value.errors["birth_date"] == ["出生日期与证件号码不符（号码显示为 1990年3月7日）。"]
    with translation.override("en"), pytest.raises(ValidationFailed) as error:
        person(clerk, tree.community_a1, id_number=number, birth_date=date(1990, 3, 8))
    assert "March 7, 1990" in error.value.errors["birth_date"][0]
    assert not Person.objects.exists()


def test_all_errors_come_at_once(tree):
    subdistrict_clerk = staff(tree.subdistrict_a)
    with pytest.raises(ValidationFailed) as error:
        services.person_create(
            actor=subdistrict_clerk,
            data=services.PersonData(
                name="", id_number="123", org=tree.subdistrict_a, phone="abc", ethnicity="99"
            ),
        )
    assert set(error.value.errors) >= {"name", "id_number", "org", "phone", "ethnicity"}
    assert "只能登记在社区或网格" in error.value.errors["org"][0]


def test_gender_must_match_the_id_number(tree, clerk):
    with pytest.raises(ValidationFailed) as error:
        person(clerk, tree.community_a1, id_number=new_id_number(female=True), gender="1")
    assert "性别与证件号码不符" in error.value.errors["gender"][0]


def test_duplicate_id_number_points_to_move_in(tree, clerk):
    number = new_id_number()
    person(clerk, tree.community_a1, id_number=number)
    with pytest.raises(ValidationFailed) as error:
        person(clerk, tree.community_a1, id_number=number)
    assert "已登记" in error.value.errors["id_number"][0]


def test_another_communitys_clerk_cannot_register_or_change_here(tree, clerk):
    outsider = staff(tree.community_b1)
    with pytest.raises(OutOfScope):
        person(outsider, tree.community_a1)
    mine = person(clerk, tree.community_a1)
    data = services.PersonData(name="改名", id_number=mine.id_number, org=tree.community_a1)
    with pytest.raises(OutOfScope):
        services.person_update(actor=outsider, person=mine, data=data)


def test_reveal_needs_permission_and_is_audited(tree, clerk):
    someone = person(clerk, tree.community_a1, phone="13900001111")
    with pytest.raises(PermissionDenied):
        services.person_reveal(actor=clerk, person=someone)
    officer = staff(tree.community_a1, "registry.view_full_person")
    revealed = services.person_reveal(actor=officer, person=Person.objects.get(pk=someone.pk))
    assert revealed == {"id_number": someone.id_number, "phone": "13900001111", "other_phones": []}
    assert AuditEvent.objects.filter(event_name="registry.person.revealed", actor=officer).count() == 1


def test_life_events_build_a_timeline(tree, clerk):
    home = house(clerk, tree.community_a1)
    other = house(clerk, tree.community_a1, room="302")
    resident = person(clerk, tree.community_a1, house=home)
    assert resident.residence_address == "幸福路12号3幢2单元301"
    services.person_change_address(actor=clerk, person=resident, house=other, relation="tenant")
    services.person_move_out(
        actor=clerk, person=resident, moved_on=date(2026, 3, 1), destination="杭州市西湖区"
    )
    resident.refresh_from_db()
    assert resident.status == PersonStatus.MOVED_OUT
    with pytest.raises(ServiceError):
        services.person_move_out(actor=clerk, person=resident, moved_on=date(2026, 3, 2), destination="别处")
    # the same person moves into another community later: taken over, timeline kept
    b_clerk = staff(tree.community_b1)
    data = services.PersonData(name=resident.name, id_number=resident.id_number, org=tree.community_b1)
    moved = services.person_move_in(actor=b_clerk, data=data, moved_on=date(2026, 4, 1), origin="甲一社区")
    assert moved.pk == resident.pk and moved.org == tree.community_b1 and moved.status == PersonStatus.LIVING
    kinds = list(LifeEvent.objects.filter(person=moved).order_by("id").values_list("kind", flat=True))
    assert kinds == ["registered", "address_change", "move_out", "move_in"]


def test_move_in_of_someone_still_living_elsewhere_is_refused(tree, clerk):
    here = person(clerk, tree.community_a1)
    b_clerk = staff(tree.community_b1)
    data = services.PersonData(name=here.name, id_number=here.id_number, org=tree.community_b1)
    with pytest.raises(ValidationFailed) as error:
        services.person_move_in(actor=b_clerk, data=data, moved_on=date(2026, 4, 1), origin="甲一社区")
    assert "请先由原社区办理迁出" in error.value.errors["id_number"][0]


def test_house_in_another_community_is_refused(tree, clerk):
    b_clerk = staff(tree.community_b1)
    far_house = house(b_clerk, tree.community_b1, street="远方路1号")
    with pytest.raises(ValidationFailed) as error:
        person(clerk, tree.community_a1, house=far_house)
    assert "不在该居民所属社区" in error.value.errors["house"][0]


def test_search_by_id_phone_name_pinyin_initials_address_age_and_tag(tree, clerk):
    home = house(clerk, tree.community_a1, street="幸福路88号")
    zhang = person(
        clerk,
        tree.community_a1,
        name="张三丰",
        phone="13811112222",
        house=home,
        id_number=new_id_number(date(1950, 1, 1)),
    )
    person(clerk, tree.community_a1, name="李四", id_number=new_id_number(date(2000, 1, 1)))
    person(staff(tree.community_b1), tree.community_b1, name="张三", id_number=new_id_number())

    def names(**criteria):
        return sorted(search_persons(clerk, PersonFilter(**criteria)).values_list("name", flat=True))

    assert names(q=zhang.id_number) == ["张三丰"]
    assert names(q=zhang.id_number.lower()) == ["张三丰"]
    assert names(q="13811112222") == ["张三丰"]
    assert names(q="张三") == ["张三丰"]  # the other 张三 is in community b1
    assert names(q="zhangsan") == ["张三丰"] and names(q="zsf") == ["张三丰"] and names(q="ZS") == ["张三丰"]
    assert names(address="福路88") == ["张三丰"] and names(address="88号") == ["张三丰"]
    assert names(age_min=60) == ["张三丰"] and names(age_max=30) == ["李四"]
    services.tag_add(actor=clerk, person=zhang, group="elderly_alone", valid_from=date(2025, 1, 1))
    assert names(tags=["elderly_alone"]) == ["张三丰"]


def test_tags_have_periods_and_refuse_overlaps(tree, clerk):
    someone = person(clerk, tree.community_a1)
    tag = services.tag_add(
        actor=clerk, person=someone, group="dibao", valid_from=date(2025, 1, 1), evidence="明民〔2025〕3号"
    )
    with pytest.raises(ValidationFailed):
        services.tag_add(actor=clerk, person=someone, group="dibao", valid_from=date(2025, 6, 1))
    services.tag_end(actor=clerk, tag=tag, valid_until=date(2025, 12, 31), reason="收入超标")
    assert not tag.is_valid_on(date(2026, 1, 1)) and tag.is_valid_on(date(2025, 6, 1))
    with pytest.raises(ValidationFailed):
        services.tag_add(actor=clerk, person=someone, group="no-such-group", valid_from=date(2026, 1, 1))


def test_a_tag_end_is_written_once_and_never_into_the_next_period(tree, clerk):
    """Ending a tag on the day it ends already (a form sent again) writes nothing; an end from a page that
    still showed the first 低保 period may not stretch it into the renewal entered since."""
    someone = person(clerk, tree.community_a1)
    first = services.tag_add(actor=clerk, person=someone, group="dibao", valid_from=date(2025, 1, 1))
    stale_page = SpecialGroupTag.objects.get(pk=first.pk)
    services.tag_end(actor=clerk, tag=first, valid_until=date(2025, 6, 30))
    services.tag_add(actor=clerk, person=someone, group="dibao", valid_from=date(2025, 7, 1))
    services.tag_end(actor=clerk, tag=SpecialGroupTag.objects.get(pk=first.pk), valid_until=date(2025, 6, 30))
    assert LifeEvent.objects.filter(person=someone, kind=LifeEventKind.TAG_ENDED).count() == 1
    with pytest.raises(ServiceError, match="该标记已被他人修改，请刷新后重试。"):
        services.tag_end(actor=clerk, tag=stale_page, valid_until=date(2025, 12, 31))
    with pytest.raises(ValidationFailed) as refused:
        services.tag_end(
            actor=clerk, tag=SpecialGroupTag.objects.get(pk=first.pk), valid_until=date(2025, 12, 31)
        )
    assert "2025-07-01" in refused.value.errors["valid_until"][0]
    assert SpecialGroupTag.objects.get(pk=first.pk).valid_until == date(2025, 6, 30)


def test_changing_the_head_of_a_household_closed_meanwhile(tree, clerk):
    """The head change page was open while the only member moved out (销户): refused in words."""
    head = person(clerk, tree.community_a1, name="赵独", id_number=new_id_number(date(1950, 5, 5)))
    other = person(clerk, tree.community_a1, name="赵新", id_number=new_id_number(date(1980, 5, 5)))
    household = services.household_create(
        actor=clerk,
        org=tree.community_a1,
        number="330110001001-0400",
        registered_address="幸福路1号",
        head=head,
    )
    stale_page = Household.objects.get(pk=household.pk)
    services.person_move_out(actor=clerk, person=head, moved_on=date(2026, 1, 5), destination="上海市")
    with pytest.raises(ValidationFailed, match="已销户，不能变更户主。"):
        services.household_change_head(
            actor=clerk, household=stale_page, new_head=other, old_head_relation="10"
        )


def test_blind_index_key_rotation_keeps_exact_lookups_working(tree, clerk, settings):
    from django.core.management import call_command

    someone = person(clerk, tree.community_a1, phone="13700001234")
    settings.JIEDAO_BLIND_INDEX_KEY = "ab" * 16
    assert not search_persons(clerk, PersonFilter(q=someone.id_number)).exists()  # old indexes, new key
    call_command("rebuild_blind_indexes", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert list(search_persons(clerk, PersonFilter(q=someone.id_number))) == [someone]
    assert list(search_persons(clerk, PersonFilter(q="13700001234"))) == [someone]
