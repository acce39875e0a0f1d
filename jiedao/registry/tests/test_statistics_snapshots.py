"""The statistics page read from a precomputed snapshot: the same figures as counting live, for every scope
and `?org=` filter; the time it was taken on the page; refreshed hourly, after an import and on request."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from jiedao.core.schedule import JOBS
from jiedao.core.scope import DataScope
from jiedao.core.testing import client_for, make_user
from jiedao.registry import services
from jiedao.registry.models import Person, StatisticsCount, StatisticsSnapshot
from jiedao.registry.statistics import figures, snapshots
from jiedao.registry.tests.factories import new_id_number, person, staff
from jiedao.registry.tests.test_import_persons import run, workbook
from jiedao.registry.tests.test_statistics import DATA_URL, URL
from jiedao.registry.validators import make_uscc

REFRESH_URL = "/registry/stats/refresh/"
VIEW = "registry.view_person"
REFRESH = "registry.refresh_statisticssnapshot"


def without_source(data: dict) -> dict:
    return {key: value for key, value in data.items() if key != "snapshot_at"}


@pytest.fixture
def town_with_enterprises(town):
    clerk = staff(town.district)
    for code, org, status in (("00010001", town.grid_a1, "operating"), ("00010002", town.community_b1,
                              "operating"), ("00010003", town.community_b1, "suspended")):  # fmt: skip
        services.enterprise_create(
            actor=clerk,
            data=services.EnterpriseData(
                org=org,
                name=f"企业{code}",
                uscc=make_uscc("330110", code),
                legal_representative="张三",
                address="幸福路12号",
                status=status,
            ),
        )
    return town


def test_snapshot_figures_equal_the_live_ones_for_every_scope_and_filter(town_with_enterprises):
    town = town_with_enterprises
    district = make_user(town.district, VIEW)
    viewers = [
        (district, None),
        (district, town.subdistrict_a),
        (district, town.community_a1),
        (district, town.grid_a1),
        (district, town.community_b1),
        (make_user(town.community_a1, VIEW), None),
        (make_user(town.community_a1, VIEW), town.grid_a1),
        (make_user(town.grid_a1, VIEW, scope=DataScope.NODE), None),
        (make_user(town.district, VIEW, scope=DataScope.ALL), None),
    ]
    live = [figures.compute(user, org) for user, org in viewers]
    assert live[0]["summary"] == {"persons": 8, "households": 2, "migrants": 3, "enterprises": 2}

    snapshot = snapshots.refresh()

    assert StatisticsCount.objects.filter(snapshot=snapshot).exists()
    for (user, org), expected in zip(viewers, live, strict=True):
        data, source = snapshots.compute(user, org)
        assert source == snapshot
        assert data["snapshot_at"] == snapshot.taken_at.isoformat()
        assert without_source(data) == expected, (user.org.name, org)


def test_page_shows_the_snapshot_time_and_stays_as_of_it_until_refreshed(town):
    viewer = make_user(town.district, VIEW)
    client = client_for(viewer)
    page = client.get(URL)
    assert page.context["snapshot"] is None and "数据截至" not in page.content.decode()  # counted live

    snapshot = snapshots.refresh()
    person(staff(town.district), town.community_b1, name="新住户")

    page = client.get(URL)
    html = page.content.decode()
    assert page.context["snapshot"] == snapshot
    assert f"数据截至 {timezone.localtime(snapshot.taken_at):%Y-%m-%d %H:%M}" in html
    assert page.context["stats"]["summary"]["persons"] == 8  # the newcomer counts from the next snapshot
    assert client.get(DATA_URL).json()["snapshot_at"] == snapshot.taken_at.isoformat()
    assert "立即刷新" not in html  # not without the permission

    snapshots.refresh()
    assert client.get(DATA_URL).json()["summary"]["persons"] == 9
    assert StatisticsSnapshot.objects.count() == 1  # the older snapshot is dropped


def test_a_leader_refreshes_now_from_the_page(town, django_capture_on_commit_callbacks):
    leader = make_user(town.district, VIEW, REFRESH)
    client = client_for(leader)
    assert "立即刷新" in client.get(URL).content.decode()
    person(staff(town.district), town.community_b1, name="新住户")

    with django_capture_on_commit_callbacks(execute=True):  # the task runs once the request commits
        response = client.post(REFRESH_URL, {"org": town.community_b1.pk})
    assert response.url == f"{URL}?org={town.community_b1.pk}"

    response = client.get(response.url)
    assert "已开始重新统计" in response.content.decode()
    assert response.context["snapshot"] is not None
    assert response.context["stats"]["summary"]["persons"] == 2


def test_refresh_needs_the_permission_and_post(town):
    viewer = make_user(town.district, VIEW)
    assert client_for(viewer).post(REFRESH_URL).status_code == 403
    leader = make_user(town.district, VIEW, REFRESH)
    assert client_for(leader).get(REFRESH_URL).status_code == 405
    assert not StatisticsSnapshot.objects.exists()


def test_a_refresh_already_answered_by_a_later_snapshot_is_skipped(town):
    requested = timezone.now()
    first = snapshots.refresh()
    assert snapshots.refresh(requested) is None
    assert list(StatisticsSnapshot.objects.all()) == [first]
    assert snapshots.refresh(timezone.now()) is not None


def test_own_records_scope_is_counted_live(town):
    """A snapshot knows org nodes, not who created a record: such a user gets live counts."""
    snapshots.refresh()
    clerk = make_user(town.community_b1, VIEW, scope=DataScope.OWN)
    mine = person(staff(town.community_b1), town.community_b1, name="本人登记")
    Person.objects.filter(pk=mine.pk).update(created_by=clerk)
    data, source = snapshots.compute(clerk)
    assert source is None and data["summary"]["persons"] == 1


def test_refreshed_hourly():
    job = JOBS["registry.statistics_snapshot"]
    assert job.every == timedelta(hours=1)


@pytest.mark.django_db(transaction=True)
def test_a_finished_person_import_refreshes_the_statistics(tree, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    clerk = staff(tree.community_a1)
    viewer = make_user(tree.district, VIEW)
    snapshots.refresh()
    assert snapshots.compute(viewer)[0]["summary"]["persons"] == 0
    roster = workbook([[1, "张三", new_id_number(date(1990, 3, 7)), "男", date(1990, 3, 7)]])

    run(clerk, tree.community_a1, roster)

    data, source = snapshots.compute(viewer)
    assert source is not None and data["summary"]["persons"] == 1


def test_reading_a_snapshot_takes_a_fixed_number_of_queries(town, django_assert_max_num_queries):
    viewer = make_user(town.district, VIEW)
    snapshots.refresh()
    snapshots.compute(viewer)  # warm the scope and dictionary caches
    with django_assert_max_num_queries(7):
        snapshots.compute(viewer, town.subdistrict_a)
