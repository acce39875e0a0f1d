"""人户分离: each living person of a community is 人户一致 (a member of one of its households, living in one of
its houses), 户在人不在 (a member, living in none of its houses) or 人在户不在 (living in one of its houses, a
member of none of its households) — on the person list and its export, the API, the person page and the
statistics page, counted alike live and from the snapshot."""

from datetime import date
from io import BytesIO

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from jiedao.core.scope import DataScope
from jiedao.core.testing import api_client_for, client_for, make_user
from jiedao.orgs import services as org_services
from jiedao.orgs.choices import OrgLevel
from jiedao.orgs.models import OrgUnit
from jiedao.registry import services
from jiedao.registry.choices import PersonStatus, ResidenceSplit
from jiedao.registry.models import Person
from jiedao.registry.services import duplicates
from jiedao.registry.statistics import figures, snapshots
from jiedao.registry.tests.factories import house, person, staff

LIST = "/registry/persons/"
EXPORT = "/registry/persons/export/"
API = "/api/v1/persons/"
STATS = "/registry/stats/"
VIEW = "registry.view_person"
CONSISTENT, AWAY, ELSEWHERE = ResidenceSplit.CONSISTENT, ResidenceSplit.AWAY, ResidenceSplit.ELSEWHERE

# community → category → the persons in it, as `split_town` builds them
EXPECTED = {
    "甲一社区": {
        CONSISTENT: {"一致网格", "一致社区", "留存记录"},
        AWAY: {"户在外住"},
        ELSEWHERE: {"租住网格", "划入网格"},
    },
    "甲二社区": {CONSISTENT: set(), AWAY: {"划出房屋"}, ELSEWHERE: set()},
    "乙一社区": {CONSISTENT: {"乙一致"}, AWAY: set(), ELSEWHERE: {"乙租住"}},
}


def expected(split, *communities):
    return set().union(*(EXPECTED[name][split] for name in communities))


@pytest.fixture
def split_town(tree):
    """Persons of every category, and some in none.

    甲一社区 (its grid 甲一第一网格 counting as the community): household 甲一户 registered at the community itself.
      一致网格 (grid person, grid house) and 一致社区 (community person, grid house): members living here — 人户一致;
      户在外住: a member with no house here (lives in Shanghai) — 户在人不在;
      租住网格: a migrant in a community house, in no household — 人在户不在;
      无房无户: in neither; 已故 and 已迁出 were members living here; 留存记录 kept a duplicate's membership and house.
    甲二社区: grid 甲二第一网格, household 甲二户; 划入网格 (grid person, grid house) and 划出房屋 (community person,
      grid house) are its members — until the grid is moved to 甲一社区: 划入网格 then lives in 甲一社区 registered
      in 甲二社区 (人在户不在 there), 划出房屋 is registered in 甲二社区 living in 甲一社区 (户在人不在 in 甲二社区).
    乙一社区: 乙一致 (member, living here) and 乙租住 (living here, no household).
    """
    # before the clerk: a scope is read once per user
    grid_a2 = org_services.org_create(
        actor=make_user(tree.district, "orgs.add_orgunit"),
        name="甲二第一网格",
        level=OrgLevel.GRID,
        division_code="110105001002001",
        parent=tree.community_a2,
    )
    clerk = staff(tree.district, "registry.merge_person")
    today = timezone.localdate()
    grid_house = house(clerk, tree.grid_a1, street="幸福路1号")
    community_house = house(clerk, tree.community_a1, street="幸福路2号")

    def resident(org, name, home=None, **kwargs):
        return person(clerk, org, name=name, house=home, **kwargs)

    head = resident(tree.grid_a1, "一致网格", grid_house)
    members = [
        resident(tree.community_a1, "一致社区", grid_house),
        resident(tree.community_a1, "户在外住", residence_address="上海市浦东新区世纪大道1号"),
        resident(tree.community_a1, "已故", grid_house),
        resident(tree.grid_a1, "已迁出", grid_house),
        resident(tree.community_a1, "重复记录", grid_house),
    ]
    services.household_create(
        actor=clerk,
        org=tree.community_a1,
        number="A1-1",
        registered_address="幸福路1号",
        head=head,
        members=[(member, "10" if n == 0 else "20") for n, member in enumerate(members)],
    )
    by_name = {member.name: member for member in members}
    services.person_register_death(actor=clerk, person=by_name["已故"], died_on=today)
    services.person_move_out(actor=clerk, person=by_name["已迁出"], moved_on=today, destination="杭州市")
    kept = resident(tree.community_a1, "留存记录")
    duplicates.person_merge(actor=clerk, survivor=kept, merged=by_name["重复记录"])
    tenant = resident(tree.grid_a1, "租住网格", community_house)
    services.migrant_register(
        actor=clerk,
        person=tenant,
        data=services.MigrantData(origin_address="安徽省合肥市", arrival_date=date(2024, 3, 1)),
    )
    resident(tree.community_a1, "无房无户")

    a2_house = house(clerk, grid_a2, street="和平路9号")
    moving = resident(grid_a2, "划入网格", a2_house)
    staying = resident(tree.community_a2, "划出房屋", a2_house)
    services.household_create(
        actor=clerk,
        org=tree.community_a2,
        number="A2-1",
        registered_address="和平路9号",
        head=moving,
        members=[(staying, "20")],
    )
    org_services.org_move(
        actor=make_user(tree.district, "orgs.move_orgunit"),
        node=grid_a2,
        new_parent=tree.community_a1,
        division_code="110105001001002",
    )

    b_house = house(clerk, tree.community_b1, street="乙路3号")
    services.household_create(
        actor=clerk,
        org=tree.community_b1,
        number="B1-1",
        registered_address="乙路3号",
        head=resident(tree.community_b1, "乙一致", b_house),
    )
    resident(tree.community_b1, "乙租住", b_house)
    tree.grid_a2 = grid_a2
    return tree


def categories():
    rows = Person.objects.with_residence_split().values_list("name", "residence_split")
    return {name: split for name, split in rows}


def test_each_person_falls_in_one_category_by_the_community_they_belong_to(split_town):
    found = categories()
    for communities in EXPECTED.values():
        for split, names in communities.items():
            assert {name for name in names if found[name] == split} == names, split
    # in none: no household and no house here; not living; the merged duplicate
    assert {name for name, split in found.items() if not split} == {"无房无户", "已故", "已迁出", "重复记录"}
    statuses = dict(Person.objects.values_list("name", "status"))
    assert statuses["已故"] == PersonStatus.DECEASED and statuses["重复记录"] == PersonStatus.MERGED
    for split in ResidenceSplit.values:  # the filter and the annotation are the same rule
        assert set(Person.objects.residence_split(split).values_list("name", flat=True)) == {
            name for name, value in found.items() if value == split
        }


def names_on(response) -> set[str]:
    assert response.status_code == 200, response.status_code
    return {row.name for row in response.context["object_list"]}


def test_the_list_filters_by_category_within_the_clerks_scope(split_town):
    a1 = client_for(staff(split_town.community_a1))
    district = client_for(staff(split_town.district))
    grid = client_for(staff(split_town.grid_a1, scope=DataScope.NODE))
    for split in ResidenceSplit.values:
        assert names_on(a1.get(LIST, {"residence_split": split})) == expected(split, "甲一社区"), split
        assert names_on(district.get(LIST, {"residence_split": split})) == expected(
            split, "甲一社区", "甲二社区", "乙一社区"
        )
    assert names_on(grid.get(LIST, {"residence_split": CONSISTENT})) == {"一致网格"}
    assert names_on(a1.get(LIST, {"residence_split": ELSEWHERE, "org": split_town.grid_a2.pk})) == {
        "划入网格"
    }
    assert names_on(a1.get(LIST, {"residence_split": ELSEWHERE, "migrant": "yes"})) == {"租住网格"}
    # not living is never in a category, whatever the status asked for
    assert names_on(a1.get(LIST, {"residence_split": CONSISTENT, "status": "all"})) == expected(
        CONSISTENT, "甲一社区"
    )
    html = a1.get(LIST).content.decode()
    assert 'name="residence_split"' in html and "人户一致" in html and "人在户不在" in html
    bad = a1.get(LIST, {"residence_split": "nowhere"})
    assert bad.status_code == 200 and not bad.context["object_list"]
    assert "nowhere" in bad.context["filter_form"].errors["residence_split"][0]


def test_the_export_follows_the_filter(split_town):
    response = client_for(staff(split_town.community_a1)).get(EXPORT, {"residence_split": AWAY})
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(b"".join(response.streaming_content))).worksheets[0]
    _header, *rows = sheet.iter_rows(values_only=True)
    assert {row[0] for row in rows} == {"户在外住"}


def api_names(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["name"] for row in response.json()["results"]}


def test_the_api_filters_alike_and_refuses_an_unknown_value(split_town):
    api = api_client_for(staff(split_town.community_a1))
    for split in ResidenceSplit.values:
        assert api_names(api.get(API, {"residence_split": split})) == expected(split, "甲一社区")
    b1 = api_client_for(staff(split_town.community_b1))
    assert api_names(b1.get(API, {"residence_split": ELSEWHERE})) == {"乙租住"}
    bad = api.get(API, {"residence_split": "人户一致", "age_min": "x"})
    assert bad.status_code == 400
    errors = bad.json()["errors"]
    assert "不是有效的选项" in errors["residence_split"][0] and "consistent" in errors["residence_split"][0]
    assert "age_min" in errors  # refused together with the other bad parameters


def test_the_person_page_says_the_category_in_words(split_town):
    client = client_for(staff(split_town.district))
    ids = dict(Person.objects.values_list("name", "pk"))
    words = {
        "一致网格": "人户一致",
        "户在外住": "户在人不在",
        "划入网格": "人在户不在",
        "无房无户": "未加入所属社区的户",
    }
    for name, text in words.items():
        html = client.get(f"/registry/persons/{ids[name]}/").content.decode()
        assert 'data-testid="residence-split"' in html and text in html, name
    assert (
        'data-testid="residence-split"'
        not in client.get(f"/registry/persons/{ids['已故']}/").content.decode()
    )


def test_a_reader_who_may_not_see_households_cannot_filter_or_read_the_category(split_town):
    """人户状态 says whether a person is a member of a household here: not for readers of persons only. The same
    holds for the special-group and migrant filters."""
    reader = make_user(split_town.community_a1, VIEW)
    html = client_for(reader).get(LIST).content.decode()
    assert 'name="residence_split"' not in html and 'name="tags"' not in html and 'name="migrant"' not in html
    # a hand-written address does not filter either: the field is not there
    assert len(names_on(client_for(reader).get(LIST, {"residence_split": AWAY}))) > 1
    refused = api_client_for(reader).get(API, {"residence_split": AWAY, "tag": "dibao", "migrant": "true"})
    assert refused.status_code == 400
    assert set(refused.json()["errors"]) == {"residence_split", "tag", "migrant"}
    assert refused.json()["errors"]["residence_split"] == ["您没有查看相应信息的权限，不能按此条件筛选。"]
    person_id = Person.objects.get(name="户在外住").pk
    page = client_for(reader).get(f"/registry/persons/{person_id}/").content.decode()
    assert "户在外住" in page and 'data-testid="residence-split"' not in page


def residence_by_community(data) -> dict:
    return {row["name"]: row["residence"] for row in data["by_community"]}


def counts(*communities) -> dict:
    return {split: len(expected(split, *communities)) for split in ResidenceSplit.values}


def test_statistics_count_each_community_and_the_snapshot_equals_the_live_figures(split_town):
    district = make_user(split_town.district, VIEW)
    live = figures.compute(district)
    assert residence_by_community(live) == {name: counts(name) for name in EXPECTED}
    assert live["residence"] == counts(*EXPECTED)
    community = figures.compute(make_user(split_town.community_a1, VIEW))
    grids = {row["name"]: row["residence"] for row in community["by_grid"]}
    assert grids["甲二第一网格"] == {CONSISTENT: 0, AWAY: 0, ELSEWHERE: 1}  # counted in 甲一社区 now
    assert grids["甲一第一网格"] == {CONSISTENT: 1, AWAY: 0, ELSEWHERE: 1}

    viewers = [
        (district, None),
        (district, split_town.subdistrict_a),
        (district, split_town.community_a1),
        (district, split_town.grid_a2),
        (make_user(split_town.community_a1, VIEW), None),
        (make_user(split_town.community_b1, VIEW), None),
        (make_user(split_town.grid_a1, VIEW, scope=DataScope.NODE), None),
    ]
    lives = [figures.compute(user, org) for user, org in viewers]
    snapshot = snapshots.refresh()
    for (user, org), expected_figures in zip(viewers, lives, strict=True):
        data, source = snapshots.compute(user, org)
        assert source == snapshot
        assert {k: v for k, v in data.items() if k != "snapshot_at"} == expected_figures, (user.org.name, org)


def test_the_statistics_page_shows_the_table_and_chart(split_town):
    response = client_for(make_user(split_town.district, VIEW)).get(STATS)
    html = response.content.decode()
    assert 'data-testid="stats-residence"' in html and 'data-chart="residence"' in html
    assert "户在人不在" in html and "人在户不在" in html
    labels = response.context["chart_data"]["labels"]["residence"]
    assert labels == {CONSISTENT: "人户一致", AWAY: "户在人不在", ELSEWHERE: "人在户不在"}
    row = next(r for r in response.context["residence_rows"] if r["name"] == "甲一社区")
    assert row["residence"] == counts("甲一社区")


def test_the_filtered_list_and_the_statistics_take_a_fixed_number_of_queries(split_town):
    clerk = staff(split_town.community_a1)
    client = client_for(clerk)
    viewer = make_user(split_town.district, VIEW)

    def measured():
        with CaptureQueriesContext(connection) as listed:
            assert client.get(LIST, {"residence_split": CONSISTENT}).status_code == 200
        with CaptureQueriesContext(connection) as counted:
            figures.compute(viewer)
        return len(listed), len(counted)

    measured()  # warm the scope and dictionary caches
    before = measured()
    home = house(clerk, split_town.community_a1, street="幸福路5号")
    for n in range(6):
        person(
            clerk,
            split_town.grid_a1 if n % 2 else split_town.community_a1,
            name="新住户" + "甲乙丙丁戊己"[n],
            house=home,
        )
    assert Person.objects.residence_split(ELSEWHERE).filter(name__startswith="新住户").count() == 6
    assert measured() == before


def test_a_grid_is_counted_in_the_community_it_belongs_to_now(split_town):
    """The grid moved: its persons' community is looked up, not remembered (OrgUnit.community, in the database)."""
    grid = OrgUnit.objects.get(pk=split_town.grid_a2.pk)
    assert grid.community() == split_town.community_a1
    assert categories()["划入网格"] == ELSEWHERE and categories()["划出房屋"] == AWAY
