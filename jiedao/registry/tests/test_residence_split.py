"""人户分离: each living person of a community is 人户一致 (a member of one of its households, living in one of
its houses), 户在人不在 (a member, living in none of its houses) or 人在户不在 (living in one of its houses, a
member of none of its households) — on the person list and its export, the API, the person page and the
statistics page, counted alike live and from the snapshot."""

from io import BytesIO

from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from jiedao.core.scope import DataScope
from jiedao.core.testing import api_client_for, client_for, make_user
from jiedao.orgs.models import OrgUnit
from jiedao.registry.choices import PersonStatus, ResidenceSplit
from jiedao.registry.models import Person
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
