"""疑似重复人员: finding the pairs, merging them, and the 非重复 decision."""

from datetime import date

import pytest

from jiedao.applications.models import Resident
from jiedao.applications.tests.factories import make_resident
from jiedao.audit.models import AuditEvent
from jiedao.core.exceptions import OutOfScope, ServiceError
from jiedao.core.testing import client_for
from jiedao.registry import services
from jiedao.registry.choices import LifeEventKind, PersonStatus
from jiedao.registry.models import (
    HouseholdMember,
    LifeEvent,
    Migrant,
    Person,
    SpecialGroupTag,
)
from jiedao.registry.services import duplicates
from jiedao.registry.tests.factories import house, person, staff
from jiedao.registry.validators import make_id_number

MERGE = "registry.merge_person"


@pytest.fixture
def merger(tree):
    return staff(tree.community_a1, MERGE)


def pairs_of(user):
    return {(pair.first.pk, pair.second.pk): pair.reasons for pair in duplicates.find_duplicates(user)[0]}


def pair(a, b):
    return tuple(sorted((a.pk, b.pk)))


def test_same_name_and_birth_date_with_different_numbers_is_listed(tree, merger):
    born = date(1975, 4, 9)
    a = person(merger, tree.community_a1, name="李建华", id_number=make_id_number("330110", born, 311))
    b = person(merger, tree.grid_a1, name="李建华", id_number=make_id_number("330106", born, 457))
    person(merger, tree.community_a1, name="李建平", id_number=make_id_number("330110", born, 513))

    assert pairs_of(merger) == {pair(a, b): ["姓名、出生日期相同，证件号码不同"]}


def test_same_name_and_mobile_is_listed(tree, merger):
    a = person(
        merger,
        tree.community_a1,
        name="陈红",
        phone="13800138000",
        id_number=make_id_number("330110", date(1980, 1, 2), 222),
    )
    b = person(
        merger,
        tree.community_a1,
        name="陈红",
        phone="138 0013 8000",
        id_number=make_id_number("330110", date(1983, 7, 8), 444),
    )
    person(
        merger,
        tree.community_a1,
        name="陈宏",
        phone="13800138000",
        id_number=make_id_number("330110", date(1990, 7, 8), 464),
    )

    assert pairs_of(merger) == {pair(a, b): ["姓名、手机号码相同"]}


def test_number_one_digit_apart_is_listed(tree, merger):
    """A slip in the birth-date digits (17 May typed as 18 May): different birth dates, one digit apart; a
    namesake whose number differs more is not listed."""
    a = person(
        merger, tree.community_a1, name="赵敏", id_number=make_id_number("330110", date(1986, 5, 17), 246)
    )
    b = person(
        merger, tree.community_a1, name="赵敏", id_number=make_id_number("330110", date(1986, 5, 18), 246)
    )
    person(merger, tree.community_a1, name="赵敏", id_number=make_id_number("330110", date(1991, 9, 28), 246))

    assert pairs_of(merger) == {pair(a, b): ["证件号码仅一位数字不同"]}


def test_another_communitys_record_is_never_listed_nor_merged(tree, merger):
    born = date(1970, 3, 3)
    ours = person(merger, tree.community_a1, name="孙强", id_number=make_id_number("330110", born, 111))
    theirs = person(
        staff(tree.district), tree.community_a2, name="孙强", id_number=make_id_number("330110", born, 333)
    )
    assert pairs_of(merger) == {}
    # a sub-district clerk over both communities sees the pair
    assert pair(ours, theirs) in pairs_of(staff(tree.subdistrict_a, MERGE))

    with pytest.raises(OutOfScope):
        duplicates.person_merge(actor=merger, survivor=ours, merged=theirs)
    response = client_for(merger).post(
        "/registry/persons/duplicates/action/",
        {"action": "merge", "first": ours.pk, "second": theirs.pk, "keep": ours.pk},
    )
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == PersonStatus.LIVING and theirs.merged_into is None


def test_merge_moves_everything_and_keeps_the_merged_record_readable(tree, merger):
    born = date(1958, 6, 6)
    survivor = person(merger, tree.community_a1, name="周桂英", id_number=make_id_number("330110", born, 122))
    home = house(merger, tree.community_a1)
    merged = person(
        merger,
        tree.community_a1,
        name="周桂英",
        phone="13900001111",
        house=home,
        id_number=make_id_number("330106", born, 124),
    )
    household = services.household_create(
        actor=merger, org=tree.community_a1, number="H-9", registered_address="幸福路9号", head=merged
    )
    services.migrant_register(
        actor=merger,
        person=merged,
        data=services.MigrantData(origin_address="安徽省合肥市", arrival_date=date(2020, 1, 1)),
    )
    services.tag_add(actor=merger, person=merged, group="elderly_alone", valid_from=date(2024, 1, 1))
    resident = make_resident()
    Resident.objects.filter(pk=resident.pk).update(person=merged)
    events_before = LifeEvent.objects.filter(person=merged).count()

    duplicates.person_merge(actor=merger, survivor=survivor, merged=merged)

    survivor.refresh_from_db()
    merged.refresh_from_db()
    assert HouseholdMember.objects.get(household=household).person_id == survivor.pk
    household.refresh_from_db()
    assert household.head_id == survivor.pk
    assert survivor.house_id == home.pk
    assert Migrant.objects.get().person_id == survivor.pk
    assert SpecialGroupTag.objects.get().person_id == survivor.pk
    assert Resident.objects.get(pk=resident.pk).person_id == survivor.pk
    assert not LifeEvent.objects.filter(person=merged).exclude(kind=LifeEventKind.PERSON_MERGED).exists()
    assert LifeEvent.objects.filter(person=survivor).count() >= events_before + 1
    assert LifeEvent.objects.filter(person=survivor, kind=LifeEventKind.PERSON_MERGED).exists()
    # the merged record stays, marked and linked, and its page still opens
    assert merged.status == PersonStatus.MERGED and merged.merged_into_id == survivor.pk
    assert AuditEvent.objects.filter(event_name="registry.person.merged").count() == 1
    html = client_for(merger).get(f"/registry/persons/{merged.pk}/").content.decode()
    assert "已合并至" in html and f"/registry/persons/{survivor.pk}/" in html
    assert pairs_of(merger) == {}


def test_merge_from_the_page_lets_the_clerk_choose_the_survivor(tree, merger):
    born = date(1966, 2, 2)
    a = person(merger, tree.community_a1, name="吴芳", id_number=make_id_number("330110", born, 222))
    b = person(merger, tree.community_a1, name="吴芳", id_number=make_id_number("330106", born, 224))
    client = client_for(merger)
    html = client.get("/registry/persons/duplicates/").content.decode()
    assert "姓名、出生日期相同，证件号码不同" in html and a.id_number_masked in html
    assert a.id_number not in html

    response = client.post(
        "/registry/persons/duplicates/action/",
        {"action": "merge", "first": a.pk, "second": b.pk, "keep": b.pk},
    )
    assert response.status_code == 302 and response["Location"] == f"/registry/persons/{b.pk}/"
    assert Person.objects.get(pk=a.pk).merged_into_id == b.pk
    assert Person.objects.get(pk=b.pk).status == PersonStatus.LIVING


def _state():
    return (
        sorted(Person.objects.values_list("pk", "status", "merged_into", "house")),
        sorted(HouseholdMember.objects.values_list("person", "household")),
        sorted(SpecialGroupTag.objects.values_list("pk", "person")),
        sorted(LifeEvent.objects.values_list("pk", "person")),
        AuditEvent.objects.count(),
    )


def test_members_of_different_households_are_refused_with_nothing_changed(tree, merger):
    born = date(1950, 1, 1)
    a = person(merger, tree.community_a1, name="郑伟", id_number=make_id_number("330110", born, 101))
    b = person(merger, tree.community_a1, name="郑伟", id_number=make_id_number("330106", born, 103))
    services.household_create(
        actor=merger, org=tree.community_a1, number="H-1", registered_address="一号", head=a
    )
    services.household_create(
        actor=merger, org=tree.community_a1, number="H-2", registered_address="二号", head=b
    )
    before = _state()

    with pytest.raises(ServiceError, match="两条记录分属不同的户（H-1、H-2）"):
        duplicates.person_merge(actor=merger, survivor=a, merged=b)
    assert _state() == before


def test_overlapping_tags_are_refused_with_nothing_changed(tree, merger):
    born = date(1940, 1, 1)
    a = person(merger, tree.community_a1, name="钱英", id_number=make_id_number("330110", born, 102))
    b = person(merger, tree.community_a1, name="钱英", id_number=make_id_number("330106", born, 104))
    services.tag_add(actor=merger, person=a, group="elderly_alone", valid_from=date(2024, 1, 1))
    services.tag_add(actor=merger, person=b, group="elderly_alone", valid_from=date(2025, 1, 1))
    before = _state()

    client = client_for(merger)
    response = client.post(
        "/registry/persons/duplicates/action/",
        {"action": "merge", "first": a.pk, "second": b.pk, "keep": a.pk},
        follow=True,
    )
    assert "期间重叠，请先解除其中一条后再合并" in response.content.decode()
    assert _state() == before


def test_not_a_duplicate_hides_the_pair(tree, merger):
    born = date(1988, 8, 8)
    a = person(merger, tree.community_a1, name="王磊", id_number=make_id_number("330110", born, 131))
    b = person(merger, tree.community_a1, name="王磊", id_number=make_id_number("330106", born, 133))
    assert pair(a, b) in pairs_of(merger)

    client_for(merger).post(
        "/registry/persons/duplicates/action/", {"action": "dismiss", "first": b.pk, "second": a.pk}
    )

    assert pairs_of(merger) == {}
    assert Person.objects.filter(status=PersonStatus.LIVING, pk__in=[a.pk, b.pk]).count() == 2
    assert AuditEvent.objects.filter(event_name="registry.person.duplicate_dismissed").count() == 1


def test_the_page_needs_the_merge_permission(tree):
    assert client_for(staff(tree.community_a1)).get("/registry/persons/duplicates/").status_code == 403


def test_a_user_without_the_merge_permission_finds_nothing(tree, merger):
    born = date(1977, 7, 7)
    person(merger, tree.community_a1, name="何平", id_number=make_id_number("330110", born, 151))
    person(merger, tree.community_a1, name="何平", id_number=make_id_number("330106", born, 153))
    assert duplicates.find_duplicates(staff(tree.community_a1)) == ([], False)


def test_a_merged_record_is_read_only(tree, merger):
    """Edits go to the record kept: an edit, a photo or a migrant registration of the merged one is refused."""
    born = date(1980, 2, 2)
    survivor = person(merger, tree.community_a1, name="周明", id_number=make_id_number("330110", born, 111))
    merged = person(merger, tree.community_a1, name="周明", id_number=make_id_number("330110", born, 123))
    duplicates.person_merge(actor=merger, survivor=survivor, merged=merged)
    merged.refresh_from_db()
    data = services.PersonData(name="周明明", id_number=merged.id_number, org=tree.community_a1)
    with pytest.raises(ServiceError) as caught:
        services.person_update(
            actor=staff(tree.community_a1, "registry.change_person"), person=merged, data=data
        )
    assert "已合并至 周明" in str(caught.value.message)
    merged.refresh_from_db()
    assert merged.name == "周明"
    with pytest.raises(ServiceError):
        services.migrant_register(
            actor=staff(tree.community_a1, "registry.change_person"),
            person=merged,
            data=services.MigrantData(origin_address="安徽省阜阳市", arrival_date=date(2024, 1, 1)),
        )
    assert not Migrant.objects.filter(person=merged).exists()
