import pytest
from rest_framework.test import APIClient

from jiedao.core.models import SystemAlert
from jiedao.core.testing import api_client_for, make_user

# These tests are about years the package does not cover: none is marked for them.
pytestmark = pytest.mark.calendar_as_shipped


@pytest.fixture
def api(tree):
    # Any signed-in user may use the calendar: no particular permission.
    return api_client_for(make_user(tree.community_a1))


def test_working_days_across_national_day(api):
    response = api.get("/api/v1/calendar/working-days/", {"start": "2026-09-30", "add": "5"})
    assert response.status_code == 200
    assert response.json() == {
        "start": "2026-09-30",
        "add": 5,
        "result": "2026-10-13",
        "rule": "working_days",
        "provisional": False,
    }


def test_other_rules(api):
    rolling = api.get(
        "/api/v1/calendar/working-days/", {"start": "2026-09-28", "add": "5", "rule": "calendar_days_rolling"}
    )
    assert rolling.json()["result"] == "2026-10-08"
    plain = api.get(
        "/api/v1/calendar/working-days/", {"start": "2026-09-28", "add": "5", "rule": "calendar_days"}
    )
    assert plain.json()["result"] == "2026-10-03"
    hours = api.get("/api/v1/calendar/working-days/", {"start": "2026-09-28", "add": "5", "rule": "hours"})
    assert hours.status_code == 400 and "rule" in hours.json()["errors"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "2026-13-01", "add": "5"}, "start"),
        ({"start": "20260930", "add": "5"}, "start"),
        ({"add": "5"}, "start"),
        ({"start": "2026-09-30"}, "add"),
        ({"start": "2026-09-30", "add": "-1"}, "add"),
        ({"start": "2026-09-30", "add": "五"}, "add"),
    ],
)
def test_bad_parameters_give_400_with_chinese_detail(api, params, field):
    response = api.get("/api/v1/calendar/working-days/", params)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and field in body["errors"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["detail"])


def test_a_year_not_entered_gives_a_provisional_result_and_no_alert_for_a_mere_look_up(api):
    # 2027 is not in the package and nobody entered it: Saturday, Sunday and 元旦 are off, flagged provisional.
    response = api.get("/api/v1/calendar/working-days/", {"start": "2026-12-07", "add": "20"})
    assert response.status_code == 200
    assert response.json() == {
        "start": "2026-12-07",
        "add": 20,
        "result": "2027-01-05",
        "rule": "working_days",
        "provisional": True,
    }
    # A look-up is no deadline: the administrator is reminded by the coverage check, not by every caller.
    days = api.get("/api/v1/calendar/days/", {"from": "2027-01-01", "to": "2027-01-04"}).json()
    assert days[0] == {"date": "2027-01-01", "workday": False, "reason": "元旦", "source": "statutory"}
    assert days[3] == {"date": "2027-01-04", "workday": True, "reason": "", "source": "provisional"}


def test_reading_a_far_year_opens_no_alert(api):
    assert api.get("/api/v1/calendar/days/", {"from": "2028-01-01", "to": "2028-01-31"}).status_code == 200
    response = api.get("/api/v1/calendar/working-days/", {"start": "2027-12-20", "add": "30"})
    assert response.json()["provisional"] is True
    assert not SystemAlert.objects.exists()


def test_a_year_before_any_data_gives_400(api):
    response = api.get("/api/v1/calendar/working-days/", {"start": "2003-03-01", "add": "3"})
    assert response.status_code == 400
    assert response.json()["code"] == "calendar_not_covered"
    assert response.json()["detail"].startswith("2003年的法定节假日安排尚未录入")


def test_days_lists_workdays_reasons_and_sources(api):
    response = api.get("/api/v1/calendar/days/", {"from": "2026-10-07", "to": "2026-10-11"})
    assert response.status_code == 200
    assert response.json() == [
        {"date": "2026-10-07", "workday": False, "reason": "国庆节", "source": "package"},
        {"date": "2026-10-08", "workday": True, "reason": "", "source": "weekend"},
        {"date": "2026-10-09", "workday": True, "reason": "", "source": "weekend"},
        {"date": "2026-10-10", "workday": True, "reason": "国庆节调休上班", "source": "package"},
        {"date": "2026-10-11", "workday": False, "reason": "周末", "source": "weekend"},
    ]


def test_days_refuses_long_or_reversed_ranges(api):
    too_long = api.get("/api/v1/calendar/days/", {"from": "2025-01-01", "to": "2026-01-02"})
    assert too_long.status_code == 400 and "366" in too_long.json()["detail"]
    reversed_ = api.get("/api/v1/calendar/days/", {"from": "2026-01-02", "to": "2026-01-01"})
    assert reversed_.status_code == 400
    missing = api.get("/api/v1/calendar/days/", {"from": "2026-01-02"})
    assert missing.status_code == 400 and "to" in missing.json()["errors"]


def test_anonymous_callers_are_refused(db):
    response = APIClient().get("/api/v1/calendar/working-days/", {"start": "2026-09-30", "add": "5"})
    assert response.status_code in (401, 403)


def test_openapi_schema_describes_the_endpoints(api):
    schema = api.get("/api/schema/", {"format": "json"}).json()
    working_days = schema["paths"]["/api/v1/calendar/working-days/"]["get"]
    assert {p["name"] for p in working_days["parameters"]} >= {"start", "add", "rule"}
    assert "400" in working_days["responses"]
    days = schema["paths"]["/api/v1/calendar/days/"]["get"]
    assert {p["name"] for p in days["parameters"]} >= {"from", "to"}
