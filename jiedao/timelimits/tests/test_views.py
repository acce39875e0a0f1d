from decimal import Decimal

import pytest

from jiedao.audit.models import AuditEvent
from jiedao.core.menus import menu_for
from jiedao.core.scope import DataScope
from jiedao.core.testing import ScopedModelContract, api_client_for, client_for, make_user
from jiedao.timelimits import services
from jiedao.timelimits.models import ClockPolicy
from jiedao.timelimits.tests.helpers import at, start


class TestClockScope(ScopedModelContract):
    view_permission = "timelimits.view_clock"
    api_list_url = "/api/v1/clocks/"

    def make_object(self, org):
        return start(org)

    def detail_url(self, obj):
        return f"/timelimits/{obj.pk}/"

    def api_detail_url(self, obj):
        return f"/api/v1/clocks/{obj.pk}/"


def _labels(user):
    return [item["label"] for section in menu_for(user) for item in section["items"]]


def test_monitoring_list_shows_only_the_users_community_with_badges(tree):
    user = make_user(tree.community_a1, "timelimits.view_clock")
    mine = start(tree.community_a1, limit=2, started_at=at(2026, 9, 21))
    start(tree.community_a2, limit=2, started_at=at(2026, 9, 21))
    services.sweep_clocks(now=at(2026, 9, 24))
    response = client_for(user).get("/timelimits/")
    assert response.status_code == 200
    assert [c.pk for c in response.context["object_list"]] == [mine.pk]
    html = response.content.decode()
    assert "badge-status-red" in html and "超期" in html
    assert "时限监控" in _labels(user)


def test_monitoring_list_filters_by_status_and_kind(tree):
    user = make_user(tree.subdistrict_a, "timelimits.view_clock")
    red = start(tree.community_a1, limit=2, started_at=at(2026, 9, 21))
    green = start(tree.community_a1, limit=10, started_at=at(2026, 9, 21), kind="test.petition")
    stopped = start(tree.community_a2, limit=10, started_at=at(2026, 9, 21))
    services.clock_stop(actor=None, clock=stopped, at=at(2026, 9, 22))
    services.sweep_clocks(now=at(2026, 9, 24))
    client = client_for(user)

    def ids(query):
        return {c.pk for c in client.get("/timelimits/", query).context["object_list"]}

    assert ids({}) == {red.pk, green.pk}  # open clocks by default
    assert ids({"status": "red"}) == {red.pk}
    assert ids({"kind": "test.petition"}) == {green.pk}
    assert ids({"status": "all"}) == {red.pk, green.pk, stopped.pk}


def test_detail_page_shows_the_history(tree):
    user = make_user(tree.community_a1, "timelimits.view_clock")
    clock = start(tree.community_a1)
    services.clock_extend(actor=None, clock=clock, units=2, reason="经批准延长", at=at(2026, 9, 2))
    html = client_for(user).get(f"/timelimits/{clock.pk}/").content.decode()
    assert "经批准延长" in html and "延长时限" in html


def test_monitoring_needs_the_permission(tree):
    user = make_user(tree.community_a1, "orgs.view_orgunit")
    assert client_for(user).get("/timelimits/").status_code == 403
    assert "时限监控" not in _labels(user)


class TestPolicyPages:
    @pytest.fixture
    def admin(self, tree):
        return make_user(tree.district, "timelimits.change_clockpolicy", scope=DataScope.ALL)

    def test_pages_need_the_change_permission(self, tree):
        user = make_user(tree.district, "timelimits.view_clock", scope=DataScope.ALL)
        client = client_for(user)
        assert client.get("/timelimits/policies/").status_code == 403
        assert client.get("/timelimits/policies/new/").status_code == 403
        posted = client.post(
            "/timelimits/policies/new/", {"kind": "test.application", "yellow_percent": "50"}
        )
        assert posted.status_code == 403
        assert not ClockPolicy.objects.exists()
        assert "时限预警阈值" not in _labels(user)

    def test_admin_sets_and_changes_a_threshold(self, admin):
        client = client_for(admin)
        assert "时限预警阈值" in _labels(admin)
        response = client.post(
            "/timelimits/policies/new/",
            {"kind": "test.application", "label": "测试申请", "yellow_percent": "60"},
        )
        assert response.status_code == 302
        assert ClockPolicy.objects.get(kind="test.application").yellow_ratio == Decimal("0.60")
        page = client.get("/timelimits/policies/").content.decode()
        assert "测试申请" in page and "60%" in page
        edit = client.get("/timelimits/policies/test.application/")
        assert edit.status_code == 200 and 'value="60"' in edit.content.decode()
        client.post("/timelimits/policies/test.application/", {"label": "测试申请", "yellow_percent": "90"})
        assert ClockPolicy.objects.get(kind="test.application").yellow_ratio == Decimal("0.90")
        events = AuditEvent.objects.filter(event_code=1820).order_by("id")
        assert [e.after["yellow_ratio"] for e in events] == ["0.60", "0.90"]
        assert events.last().before["yellow_ratio"] == "0.60"

    def test_out_of_range_percent_is_refused_in_chinese(self, admin):
        response = client_for(admin).post(
            "/timelimits/policies/new/", {"kind": "test.application", "yellow_percent": "100"}
        )
        assert response.status_code == 200 and not ClockPolicy.objects.exists()
        assert "99" in response.content.decode()


class TestClockApi:
    def test_list_filters_and_fields(self, tree):
        user = make_user(tree.subdistrict_a, "timelimits.view_clock")
        red = start(tree.community_a1, limit=2, started_at=at(2026, 9, 21))
        start(tree.community_a2, limit=10, started_at=at(2026, 9, 21), kind="test.petition")
        services.sweep_clocks(now=at(2026, 9, 24))
        api = api_client_for(user)
        body = api.get("/api/v1/clocks/", {"status": "red"}).json()
        assert [row["id"] for row in body["results"]] == [red.pk]
        row = body["results"][0]
        assert row["status"] == "red" and row["status_display"] == "超期"
        assert row["rule"] == "working_days" and row["target_type"] == "core.systemalert"
        assert row["due_at"].startswith("2026-09-23T23:59:59.999999")
        assert {
            r["kind"] for r in api.get("/api/v1/clocks/", {"kind": "test.petition"}).json()["results"]
        } == {"test.petition"}
        bad = api.get("/api/v1/clocks/", {"status": "purple"})
        assert bad.status_code == 400 and "未知的状态" in bad.json()["detail"]

    def test_api_needs_the_view_permission(self, tree):
        user = make_user(tree.community_a1, "orgs.view_orgunit")
        assert api_client_for(user).get("/api/v1/clocks/").status_code == 403
