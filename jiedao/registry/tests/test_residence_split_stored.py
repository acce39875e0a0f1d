"""人户分离 stored on the person (`Person.residence_split`): the person list and the API filter by it, so after
every write that can change a category the stored one must be what `ResidenceRule` says of the records now.
One table of write paths; before each, the stored category of the persons it concerns is made wrong, so a path
that forgets to refresh them is caught even when their category stays the same."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from jiedao.core.schedule import JOBS
from jiedao.core.testing import api_client_for, client_for, make_user
from jiedao.orgs import services as org_services
from jiedao.orgs.models import OrgUnit
from jiedao.registry import demo, services
from jiedao.registry.choices import ResidenceSplit
from jiedao.registry.models import Building, House, Household, Person
from jiedao.registry.services import duplicates
from jiedao.registry.services.residence import refresh_residence_split
from jiedao.registry.tasks import refresh_residence_splits
from jiedao.registry.tests.factories import new_id_number, staff
from jiedao.registry.tests.test_import_persons import run, run_jobs, workbook

CONSISTENT, AWAY, ELSEWHERE = ResidenceSplit.CONSISTENT, ResidenceSplit.AWAY, ResidenceSplit.ELSEWHERE
LIST = "/registry/persons/"
API = "/api/v1/persons/"


def stale() -> dict[str, tuple[str, str]]:
    """Every person whose stored category is not the rule's: name → (stored, live)."""
    rows = Person.objects.with_residence_split().values_list(
        "name", "residence_split", "live_residence_split"
    )
    return {name: (stored, live) for name, stored, live in rows if stored != live}


def stored() -> dict[str, str]:
    return dict(Person.objects.values_list("name", "residence_split"))


def spoil(*names: str) -> None:
    """Make the stored category of `names` wrong (what a write that forgot to refresh would leave)."""
    for person in Person.objects.filter(name__in=names).with_residence_split():
        wrong = "" if person.live_residence_split else AWAY
        Person.objects.filter(pk=person.pk).update(residence_split=wrong)
    assert set(stale()) == set(names)


def named(name: str) -> Person:
    return Person.objects.get(name=name)


def clerk_of(town):
    return staff(town.district, "registry.merge_person")


def data_of(person: Person, **changes) -> services.PersonData:
    values = dict(
        name=person.name,
        id_number=person.id_number,
        org=person.org,
        gender=person.gender,
        birth_date=person.birth_date,
        house=person.house,
        residence_address=person.residence_address,
    )
    return services.PersonData(**{**values, **changes})


def grid_house():
    return House.objects.get(building__street_address="幸福路1号")


def community_house():
    return House.objects.get(building__street_address="幸福路2号")


def household(number: str) -> Household:
    return Household.objects.get(number=number)


# Each write path: what it does (after `spoil` of the persons it concerns) and their category afterwards.
def create(town):
    data = services.PersonData(name="新登记", id_number=new_id_number(), org=town.grid_a1, house=grid_house())
    services.person_create(actor=clerk_of(town), data=data)


def update(town):
    person = named("无房无户")
    services.person_update(actor=clerk_of(town), person=person, data=data_of(person, house=community_house()))


def change_address(town):
    services.person_change_address(
        actor=clerk_of(town),
        person=named("一致社区"),
        house=None,
        relation="other",
        residence_address="上海市",
    )


def death(town):
    services.person_register_death(
        actor=clerk_of(town), person=named("一致社区"), died_on=timezone.localdate()
    )


def move_out(town):
    services.person_move_out(
        actor=clerk_of(town), person=named("户在外住"), moved_on=timezone.localdate(), destination="杭州市"
    )


def move_in(town):
    person = named("已迁出")
    services.person_move_in(
        actor=clerk_of(town),
        data=data_of(person, org=town.community_a1, house=grid_house()),
        moved_on=timezone.localdate(),
        origin="杭州市",
    )


def birth(town):
    data = services.PersonData(
        name="新生儿",
        id_number=new_id_number(timezone.localdate() - timedelta(days=3)),
        org=town.community_a1,
    )
    data.birth_date = timezone.localdate() - timedelta(days=3)
    services.person_register_birth(
        actor=clerk_of(town), household=household("A1-1"), data=data, relation="20"
    )


def household_create(town):
    services.household_create(
        actor=clerk_of(town),
        org=town.community_a1,
        number="A1-9",
        registered_address="幸福路9号",
        head=named("无房无户"),
    )


def add_member(town):
    services.household_add_member(
        actor=clerk_of(town), household=household("A1-1"), person=named("无房无户"), relation="20"
    )


def remove_member(town):
    services.household_remove_member(
        actor=clerk_of(town), household=household("A1-1"), person=named("一致社区")
    )


def split(town):
    person = named("一致社区")
    services.household_split(
        actor=clerk_of(town),
        household=household("A1-1"),
        persons=[person],
        new_number="A1-2",
        new_head=person,
        relations={},
    )


def merge_households(town):
    services.household_merge(
        actor=clerk_of(town),
        source=household("A1-9"),
        target=household("A1-1"),
        relations={named("无房无户").pk: "20"},
    )


def merge_persons(town):
    duplicates.person_merge(actor=clerk_of(town), survivor=named("无房无户"), merged=named("租住网格"))


def house_to_grid(town):
    """The community's house moves to a building of its grid: the same community, another org."""
    house = community_house()
    block = services.building_create(
        actor=clerk_of(town),
        data=services.BuildingData(org=town.grid_a1, street_address="幸福路3号", name="1幢"),
    )
    services.house_update(
        actor=clerk_of(town),
        house=house,
        data=services.HouseData(building=block, unit=house.unit, room=house.room),
    )


def building_to_grid(town):
    block = Building.objects.get(street_address="幸福路2号")
    services.building_update(
        actor=clerk_of(town),
        building=block,
        data=services.BuildingData(org=town.grid_a1, street_address=block.street_address, name=block.name),
    )


def grid_back(town):
    """The grid moved to 甲一社区 goes back to 甲二社区: its persons' community and its house's change."""
    org_services.org_move(
        actor=make_user(town.district, "orgs.move_orgunit"),
        node=OrgUnit.objects.get(pk=town.grid_a2.pk),
        new_parent=town.community_a2,
        division_code="110105001002001",
    )


PATHS = [
    # (path, setup, write, {person: its category after the write})
    ("person_create", None, create, {"新登记": ELSEWHERE}),
    ("person_update (house)", None, update, {"无房无户": ELSEWHERE}),
    ("person_change_address", None, change_address, {"一致社区": AWAY}),
    ("person_register_death", None, death, {"一致社区": ""}),
    ("person_move_out", None, move_out, {"户在外住": ""}),
    ("person_move_in", None, move_in, {"已迁出": ELSEWHERE}),
    ("person_register_birth", None, birth, {"新生儿": CONSISTENT}),
    ("household_create", None, household_create, {"无房无户": AWAY}),
    ("household_add_member", None, add_member, {"无房无户": AWAY}),
    ("household_remove_member", None, remove_member, {"一致社区": ELSEWHERE}),
    ("household_split", None, split, {"一致社区": CONSISTENT}),
    ("household_merge", household_create, merge_households, {"无房无户": AWAY}),
    ("person_merge", None, merge_persons, {"无房无户": ELSEWHERE, "租住网格": ""}),
    ("house_update (org)", None, house_to_grid, {"租住网格": ELSEWHERE}),
    ("building_update (org)", None, building_to_grid, {"租住网格": ELSEWHERE}),
    ("org_move (grid)", None, grid_back, {"划入网格": CONSISTENT, "划出房屋": CONSISTENT}),
]


def test_the_fixture_s_writes_left_every_category_stored(split_town):
    """person_create, household_create, death, move-out, person merge, migrant, a grid moved: all kept."""
    assert stale() == {}
    assert (
        stored()["划入网格"] == ELSEWHERE
        and stored()["划出房屋"] == AWAY
        and stored()["一致网格"] == CONSISTENT
    )


@pytest.mark.parametrize(("path", "setup", "write", "after"), PATHS, ids=[row[0] for row in PATHS])
def test_each_write_path_stores_the_rule_s_category(split_town, path, setup, write, after):
    if setup is not None:
        setup(split_town)
    spoil(*(name for name in after if Person.objects.filter(name=name).exists()))
    write(split_town)
    assert stale() == {}, path
    assert {name: stored()[name] for name in after} == after, path


def test_the_list_and_the_api_follow_a_write_at_once(split_town):
    """A clerk removes a member: the list under 人在户不在 shows her at once, 人户一致 no longer."""
    clerk = staff(split_town.community_a1)
    services.household_remove_member(actor=clerk, household=household("A1-1"), person=named("一致社区"))
    listed = {
        row.name for row in client_for(clerk).get(LIST, {"residence_split": ELSEWHERE}).context["page_obj"]
    }
    assert "一致社区" in listed
    consistent = {
        row["name"]
        for row in api_client_for(clerk).get(API, {"residence_split": CONSISTENT}).json()["results"]
    }
    assert "一致社区" not in consistent and "一致网格" in consistent


def test_the_daily_job_repairs_what_a_write_outside_the_services_left(split_town):
    spoil("一致网格", "户在外住", "租住网格", "无房无户")
    assert refresh_residence_splits.call() == 4
    assert stale() == {}
    assert refresh_residence_splits.call() == 0  # nothing stale: nothing written
    assert JOBS["registry.residence_split"].every == timedelta(days=1)


def test_refresh_takes_a_queryset_a_condition_or_ids_in_batches(split_town, monkeypatch):
    from django.db.models import Q

    from jiedao.registry.services import residence

    monkeypatch.setattr(residence, "BATCH", 2)  # several batches for a handful of persons
    names = ("一致网格", "户在外住", "租住网格", "无房无户", "乙一致")
    spoil(*names)
    assert refresh_residence_split(Person.objects.filter(name__in=names[:2])) == 2
    assert refresh_residence_split(Q(name__in=names[2:4])) == 2
    assert refresh_residence_split([named("乙一致").pk]) == 1
    assert stale() == {}


@run_jobs
def test_a_person_import_stores_the_category_of_each_batch(tree, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    clerk = staff(tree.community_a1)
    home = services.house_create(
        actor=clerk,
        data=services.HouseData(
            building=services.building_create(
                actor=clerk,
                data=services.BuildingData(org=tree.community_a1, street_address="柳浪路1号", name="1幢"),
            ),
            room="101",
        ),
    )
    empty = [None] * 7  # 性别 … 婚姻状况
    rows = [
        [1, "户主", new_id_number(date(1960, 1, 1)), *empty, home.full_address, "柳浪路1号", "H9", "户主"],
        [2, "租户", new_id_number(date(1970, 1, 1)), *empty, home.full_address, None, None, None],
        [3, "外住", new_id_number(date(1980, 1, 1)), *empty, "上海市", None, None, None],
    ]
    run(clerk, tree.community_a1, workbook(rows))
    assert stale() == {}
    assert stored() == {"户主": CONSISTENT, "租户": ELSEWHERE, "外住": ""}


def test_the_demo_district_stores_every_category(db):
    from jiedao.core import demo as core_demo

    core_demo.load()
    demo.load(persons_per_community=60)
    assert stale() == {}
    assert CONSISTENT in set(stored().values())  # refreshed, not left at ""


def test_a_refresh_of_a_few_persons_far_apart_in_id_reads_only_them(
    split_town, monkeypatch, django_assert_max_num_queries
):
    # The residents of one house may have been registered years apart: their refresh must not walk the ids
    # between them (a statement per batch of the table).
    from django.db.models import Q

    from jiedao.registry.services import residence

    monkeypatch.setattr(residence, "BATCH", 1)
    first, last = Person.objects.order_by("pk")[0], Person.objects.order_by("-pk")[0]
    assert last.pk - first.pk > 4  # more batches of ids lie between them than the statements allowed below
    spoil(first.name, last.name)
    # Their ids, then each (a batch of one): its read and its one UPDATE.
    with django_assert_max_num_queries(5):
        assert refresh_residence_split(Q(pk__in=[first.pk, last.pk])) == 2
    assert stale() == {}
