from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from jiedao.core.testing import client_for, make_user
from jiedao.registry.selectors import shift_years
from jiedao.registry.statistics.figures import band_labels, compute
from jiedao.registry.tests.factories import new_id_number, person, staff

URL = "/registry/stats/"
DATA_URL = "/registry/stats/data.json"


def band(label):
    return band_labels().index(label)


def groups(data):
    return {row["code"]: row["count"] for row in data["special_groups"]}


def test_age_bands_turn_on_the_birthday(tree):
    today = timezone.localdate()
    clerk = staff(tree.community_a1)
    birthdays = {
        "五岁生日今天": shift_years(today, 5),
        "五岁生日明天": shift_years(today, 5) + timedelta(days=1),
        "八十五岁生日今天": shift_years(today, 85),
        "八十五岁生日明天": shift_years(today, 85) + timedelta(days=1),
        "今天出生": today,
    }
    for name, day in birthdays.items():
        person(clerk, tree.community_a1, name=name, id_number=new_id_number(day))
    male = compute(clerk, today=today)["pyramid"]["male"]
    assert (male[band("0-4")], male[band("5-9")], male[band("80-84")], male[band("85+")]) == (2, 1, 1, 1)
    assert band_labels()[0] == "0-4" and band_labels()[-1] == "85+" and len(band_labels()) == 18


def test_district_figures(town):
    viewer = make_user(town.district, "registry.view_person")
    response = client_for(viewer).get(DATA_URL)
    assert response.status_code == 200
    data = response.json()
    assert data["summary"] == {"persons": 8, "households": 2, "migrants": 3, "enterprises": 0}
    by_community = {row["name"]: (row["count"], row["migrants"]) for row in data["by_community"]}
    assert by_community == {"甲一社区": (5, 1), "甲二社区": (2, 1), "乙一社区": (1, 1)}
    assert data["by_grid"] == []
    pyramid = data["pyramid"]
    assert sum(pyramid["male"]) == 5 and sum(pyramid["female"]) == 3
    assert pyramid["male"][band("0-4")] == 1
    assert pyramid["male"][band("30-34")] == 2  # 30 and 33
    assert pyramid["male"][band("40-44")] == 1
    assert pyramid["male"][band("70-74")] == 1
    assert pyramid["female"][band("25-29")] == 1
    assert pyramid["female"][band("45-49")] == 1
    assert pyramid["female"][band("85+")] == 1
    assert pyramid["male"][band("50-54")] == 0  # the one who moved out is not counted
    assert data["households"] == {"sizes": ["1", "2", "3", "4", "5", "6+"], "counts": [1, 0, 1, 0, 0, 0]}
    migrants = data["migrants"]
    assert (migrants["living"], migrants["migrants"], migrants["share"]) == (8, 3, 37.5)
    assert migrants["origins"] == [
        {"code": "34", "name": "安徽省", "count": 2, "share": 66.7},
        {"code": "51", "name": "四川省", "count": 1, "share": 33.3},
    ]
    counts = groups(data)
    assert counts["elderly_alone"] == 1 and counts["disabled"] == 1 and counts["party_member"] == 1
    assert counts["dibao"] == 0  # ended yesterday
    assert counts["veteran"] == 0  # starts in five days
    labels = {row["code"]: row["label"] for row in data["special_groups"]}
    assert labels["dibao"] == "低保对象" and labels["elderly_alone"] == "独居老人"


def test_page_shows_the_same_figures_with_tables_and_chart_data(town):
    viewer = make_user(town.district, "registry.view_person")
    response = client_for(viewer).get(URL)
    assert response.status_code == 200
    stats = response.context["stats"]
    assert stats == client_for(viewer).get(DATA_URL).json()
    html = response.content.decode()
    assert 'id="stats-data"' in html and "registry-statistics.js" in html and "echarts.min.js" in html
    assert "<script>" not in html.replace('<script id="stats-data" type="application/json">', "")
    assert 'data-testid="stats-by-community"' in html and 'data-testid="stats-pyramid"' in html
    assert "甲一社区" in html and "安徽省" in html and "独居老人" in html
    assert ("85+", 0, 1) in response.context["pyramid_rows"]
    assert reverse("registry:statistics") == URL and reverse("registry:statistics_data") == DATA_URL


def test_community_user_sees_only_their_community(town):
    viewer = make_user(town.community_a1, "registry.view_person")
    data = client_for(viewer).get(DATA_URL).json()
    assert data["summary"] == {"persons": 5, "households": 2, "migrants": 1, "enterprises": 0}
    assert [row["name"] for row in data["by_community"]] == ["甲一社区"]
    assert {row["name"]: row["count"] for row in data["by_grid"]} == {"甲一第一网格": 4, "未划分网格": 1}
    assert data["migrants"]["share"] == 20.0
    assert [row["name"] for row in data["migrants"]["origins"]] == ["安徽省"]
    counts = groups(data)
    assert counts["elderly_alone"] == 1 and counts["disabled"] == 0 and counts["party_member"] == 0
    assert sum(data["pyramid"]["male"]) + sum(data["pyramid"]["female"]) == 5


def test_org_filter_narrows_within_scope(town):
    viewer = make_user(town.district, "registry.view_person")
    data = client_for(viewer).get(DATA_URL, {"org": town.grid_a1.pk}).json()
    assert data["org"] == {"id": town.grid_a1.pk, "name": "甲一第一网格"}
    assert data["summary"]["persons"] == 4 and data["summary"]["households"] == 1
    assert data["households"]["counts"][2] == 1
    data = client_for(viewer).get(DATA_URL, {"org": town.subdistrict_a.pk}).json()
    assert data["summary"]["persons"] == 7 and data["migrants"]["migrants"] == 2
    page = client_for(viewer).get(URL, {"org": town.community_a2.pk})
    assert (
        page.context["stats"]["summary"]["persons"] == 2 and page.context["selected_org"] == town.community_a2
    )


def test_org_outside_scope_or_malformed_is_not_found(town):
    viewer = make_user(town.community_a1, "registry.view_person")
    client = client_for(viewer)
    assert client.get(DATA_URL, {"org": town.community_b1.pk}).status_code == 404
    assert client.get(URL, {"org": town.community_a2.pk}).status_code == 404
    assert client.get(DATA_URL, {"org": "abc"}).status_code == 404
    assert client.get(DATA_URL, {"org": town.grid_a1.pk}).status_code == 200


def test_permission_is_required(town):
    outsider = make_user(town.district, "registry.view_household")
    client = client_for(outsider)
    assert client.get(URL).status_code == 403
    assert client.get(DATA_URL).status_code == 403
    anonymous = client_for(outsider)
    anonymous.logout()
    assert anonymous.get(DATA_URL).status_code == 302


def test_compute_counts_in_a_fixed_number_of_queries(town, django_assert_max_num_queries):
    viewer = make_user(town.district, "registry.view_person")
    compute(viewer)  # warm the scope and dictionary caches
    with django_assert_max_num_queries(12):
        compute(viewer)
