from datetime import date

import pytest

from jiedao.core.exceptions import ServiceError, ValidationFailed
from jiedao.registry import services
from jiedao.registry.models import Household, HouseholdMember
from jiedao.registry.tests.factories import house, new_id_number, person, staff
from jiedao.registry.validators import make_uscc


@pytest.fixture
def family(family, clerk, tree):
    """The shared family (conftest), living in a registered house."""
    household = family[0]
    household.house = house(clerk, tree.community_a1)
    household.save(update_fields=["house"])
    return family


def test_household_keeps_registration_and_residence(family):
    household, head, _wife, _son = family
    assert household.registered_address == "明湖区幸福路12号"
    assert household.house.full_address == "幸福路12号3幢2单元301"
    assert dict(household.members.values_list("person__name", "relation")) == {
        "王建国": "02",
        "刘桂兰": "10",
        "王小明": "20",
    }


def test_person_of_another_community_cannot_join(tree, family):
    household = family[0]
    outsider = person(staff(tree.community_b1), tree.community_b1, name="外人")
    both = staff(tree.subdistrict_a.parent)  # the district sees both communities
    with pytest.raises(ValidationFailed) as error:
        services.household_add_member(actor=both, household=household, person=outsider, relation="80")
    assert "不能加入其他社区的户" in error.value.errors["person"][0]


def test_person_in_two_households_is_refused(tree, clerk, family):
    _household, _head, wife, _son = family
    other_head = person(clerk, tree.community_a1, name="赵四")
    with pytest.raises(ValidationFailed) as error:
        services.household_create(
            actor=clerk,
            org=tree.community_a1,
            number="X-2",
            registered_address="某地",
            head=other_head,
            members=[(wife, "10")],
        )
    assert "已在户" in error.value.errors["members"][0]  # the members listed, as the API's request names them
    assert not Household.objects.filter(number="X-2").exists()


def test_change_head_then_split_then_merge(tree, clerk, family):
    household, head, wife, son = family
    services.household_change_head(
        actor=clerk, household=household, new_head=wife, old_head_relation="10", relations={son.pk: "20"}
    )
    household.refresh_from_db()
    assert household.head == wife
    assert HouseholdMember.objects.get(person=head).relation == "10"
    new = services.household_split(
        actor=clerk,
        household=household,
        persons=[],
        new_number="330110001001-0002",
        new_head=son,
        relations={},
    )
    assert list(new.members.values_list("person__name", flat=True)) == ["王小明"]
    assert set(household.members.values_list("person__name", flat=True)) == {"王建国", "刘桂兰"}
    services.household_merge(actor=clerk, source=new, target=household, relations={son.pk: "20"})
    new.refresh_from_db()
    assert new.dissolved_on is not None and new.head is None
    assert household.members.count() == 3


def test_head_cannot_die_or_leave_before_a_new_head(tree, clerk, family):
    household, head, _wife, _son = family
    with pytest.raises(ServiceError) as error:
        services.person_register_death(actor=clerk, person=head, died_on=date(2026, 1, 1))
    assert "请先变更户主" in str(error.value.message)
    with pytest.raises(ServiceError):
        services.household_remove_member(actor=clerk, household=household, person=head)


def test_birth_registration_adds_to_household(tree, clerk, family):
    household = family[0]
    baby = services.person_register_birth(
        actor=clerk,
        household=household,
        relation="40",
        data=services.PersonData(
            name="王小宝", id_number=new_id_number(date(2026, 1, 9)), org=tree.community_a1
        ),
    )
    assert baby.life_events.get().kind == "birth"
    assert HouseholdMember.objects.get(person=baby).household == household


def test_house_requires_building_and_unique_address(tree, clerk):
    with pytest.raises(ValidationFailed) as error:
        services.house_create(actor=clerk, data=services.HouseData(building=None, room="101"))
    assert "必须属于一个楼栋" in error.value.errors["building"][0]
    house(clerk, tree.community_a1)
    with pytest.raises(ValidationFailed) as error:
        house(clerk, tree.community_a1, unit="2 单元")
    assert "已登记" in error.value.errors["room"][0]


def test_enterprise_uscc_is_checked(tree, clerk):
    data = services.EnterpriseData(
        org=tree.community_a1,
        name="明湖科技有限公司",
        uscc="91350100M000100Y4O",
        legal_representative="陈明",
        address="幸福路1号",
    )
    with pytest.raises(ValidationFailed) as error:
        services.enterprise_create(actor=clerk, data=data)
    assert "I、O、Z、S、V" in error.value.errors["uscc"][0]
    data.uscc = "91350100M000100Y43"
    enterprise = services.enterprise_create(actor=clerk, data=data)
    assert enterprise.uscc == "91350100M000100Y43"


def test_a_split_reports_every_problem_at_once_and_changes_nothing(tree, clerk, family):
    household, head, wife, son = family
    with pytest.raises(ValidationFailed) as refused:
        services.household_split(
            actor=clerk,
            household=household,
            persons=[son],
            new_number=household.number,
            new_head=head,
            relations={son.pk: "01"},
        )
    assert set(refused.value.errors) == {"persons", "relations", "new_number"}
    assert refused.value.errors["persons"] == ["原户主不能分出，请先变更户主。"]
    assert refused.value.errors["new_number"] == ["请填写一个尚未使用的新户号。"]
    assert household.members.count() == 3


def test_a_credit_code_registered_elsewhere_is_refused_without_naming_the_enterprise(tree, clerk):
    def data(org, name):
        return services.EnterpriseData(
            org=org, name=name, uscc="91350100M000100Y43", legal_representative="陈明", address="幸福路1号"
        )

    services.enterprise_create(
        actor=staff(tree.community_b1), data=data(tree.community_b1, "远方科技有限公司")
    )
    with pytest.raises(ValidationFailed) as refused:
        services.enterprise_create(actor=clerk, data=data(tree.community_a1, "明湖科技有限公司"))
    assert refused.value.errors["uscc"] == ["该统一社会信用代码已登记在其他社区。"]
    own = services.EnterpriseData(
        org=tree.community_a1,
        name="明湖科技有限公司",
        uscc=make_uscc("330110", "11223344"),
        legal_representative="陈明",
        address="幸福路2号",
    )
    services.enterprise_create(actor=clerk, data=own)
    own.name = "明湖商贸有限公司"
    with pytest.raises(ValidationFailed) as refused:
        services.enterprise_create(actor=clerk, data=own)
    assert refused.value.errors["uscc"] == ["统一社会信用代码已登记：明湖科技有限公司（甲一社区）。"]
