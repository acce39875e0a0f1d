"""办件统计: the figures of a small October 2026 (国庆 1–7 October, 10 October a make-up working day) counted
by hand, the scope (a community clerk does not count another community's applications, the sub-district
does), a range refused with the reason, the .xlsx export audited, the API giving the page's numbers, and the
same number of queries for 4 or 12 applications."""

from __future__ import annotations

import datetime as dt
import importlib
from io import BytesIO

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from jiedao.applications import services
from jiedao.applications.choices import Outcome, RatingLevel
from jiedao.applications.models import Application, Rating, ServiceWindow
from jiedao.applications.tests.factories import (
    CLERK_PERMISSIONS,
    local,
    make_item,
    rate_by_link,
    uploads,
    walk_in,
)
from jiedao.audit.models import AuditEvent
from jiedao.catalog.choices import ItemKind
from jiedao.core.testing import api_client_for, client_for, make_user
from jiedao.timelimits.services import clock_for, sweep_clocks

pytestmark = pytest.mark.django_db

PAGE = "/hall/staff/statistics/"
EXPORT = "/hall/staff/statistics/export/"
API = "/api/v1/applications/statistics/"
OCTOBER = {"start": "2026-10-01", "end": "2026-10-31"}


def accepted(clerk, item, at, **kwargs):
    application = walk_in(clerk, item, at=at, **kwargs)
    return services.application_accept(actor=clerk, application=application, at=at)


def conclude(clerk, application, at):
    return services.application_conclude(
        actor=clerk, application=application, outcome=Outcome.APPROVED, at=at
    )


def rate(application, level, at):
    rate_by_link(application, level)
    Rating.objects.filter(application=application).update(created_at=at)


@pytest.fixture
def october(tree):
    """Community 甲一's window, over October 2026:

    - A1 submitted and accepted 30 Sept, concluded Fri 9 Oct: (30 Sept, 9 Oct] holds 8 and 9 Oct, 2 working
      days; due (3 working days) at the end of Sat 10 Oct (make-up day): on time. Rated 非常满意.
    - A2 accepted Thu 8 Oct, 一次性告知 Fri 9 Oct, corrected Tue 13 Oct (paused 10, 12, 13 Oct: 3 working
      days), concluded Fri 16 Oct: (8, 16 Oct] holds 7 working days, less 3 paused = 4; due Thu 15 Oct:
      overdue. Rated 不满意.
    - A3 submitted Mon 12 Oct, 一次性告知 the same day, corrected 13 Oct, refused (不予受理) 14 Oct.
    - B1 an instant item (即办件) accepted and concluded on the spot on 20 Oct: 0 days. Rated 满意.
    - A4 accepted 19 Oct (red by 31 Oct), A5 accepted 30 Oct (green), A6 submitted 30 Oct: being handled.

    And community 甲二's C1: accepted Mon 12 Oct, concluded 13 Oct (1 working day, on time)."""
    clerk = make_user(tree.community_a1, *CLERK_PERMISSIONS)
    window = ServiceWindow.objects.create(org=tree.community_a1, number="1号窗口", name="综合受理")
    window.staff.add(clerk)
    promised = make_item(tree.community_a1, name="居住证明", promised_limit_days=3, statutory_limit_days=5)
    instant = make_item(tree.community_a1, name="老年优待证", kind=ItemKind.INSTANT, promised_limit_days=1)
    a1 = accepted(clerk, promised, local(2026, 9, 30))
    conclude(clerk, a1, local(2026, 10, 9))
    a2 = accepted(clerk, promised, local(2026, 10, 8))
    services.application_request_correction(
        actor=clerk, application=a2, items=["户口簿复印件不清晰"], at=local(2026, 10, 9)
    )
    services.application_resubmit(application=a2, uploads=uploads(), actor=clerk, at=local(2026, 10, 13))
    conclude(clerk, a2, local(2026, 10, 16))
    a3 = walk_in(clerk, promised, at=local(2026, 10, 12, 9))
    services.application_request_correction(
        actor=clerk, application=a3, items=["缺少租赁合同"], at=local(2026, 10, 12, 10)
    )
    services.application_resubmit(application=a3, uploads=uploads(), actor=clerk, at=local(2026, 10, 13))
    services.application_reject(actor=clerk, application=a3, reason="不属于本社区", at=local(2026, 10, 14))
    b1 = accepted(clerk, instant, local(2026, 10, 20))
    accepted(clerk, promised, local(2026, 10, 19))
    accepted(clerk, promised, local(2026, 10, 30))
    walk_in(clerk, promised, at=local(2026, 10, 30, 15))
    sweep_clocks(now=local(2026, 10, 31))
    rate(a1, RatingLevel.VERY_SATISFIED, local(2026, 10, 10))
    rate(a2, RatingLevel.UNSATISFIED, local(2026, 10, 17))
    rate(b1, RatingLevel.SATISFIED, local(2026, 10, 21))

    other_clerk = make_user(tree.community_a2, *CLERK_PERMISSIONS)
    c1 = accepted(
        other_clerk, make_item(tree.community_a2, name="临时救助", promised_limit_days=3), local(2026, 10, 12)
    )
    conclude(other_clerk, c1, local(2026, 10, 13))
    return {"clerk": clerk, "a2": a2, "window": window, "promised": promised, "instant": instant}


def figures(response, group="item") -> dict[str, list[str]]:
    """Row name → its cells, and "合计" → the total row, of one table on the page."""
    assert response.status_code == 200, response.content.decode()[:500]
    html = response.content.decode()
    table = html.split(f'data-testid="stats-{group}"', 1)[1].split("</table>", 1)[0]
    rows = {}
    for row in table.split("<tbody", 1)[1].split("<tr")[1:]:
        cells = [part.split("<", 1)[0].split(">", 1)[-1].strip() for part in row.split("<t")[1:]]
        cells = [cell for cell in cells if cell or cell == ""]
        rows[cells[0]] = cells[1:]
    return rows


COLUMNS = [
    "received",
    "accepted",
    "rejected",
    "corrections",
    "concluded",
    "on_time",
    "overdue",
    "on_time_rate",
    "instant_share",
    "average_days",
    "open",
    "green",
    "yellow",
    "red",
    "satisfaction",
]


def named(cells: list[str]) -> dict[str, str]:
    return dict(zip(COLUMNS, cells[: len(COLUMNS)], strict=True))


def test_the_figures_are_those_counted_by_hand(tree, october):
    page = client_for(october["clerk"]).get(PAGE, OCTOBER)

    total = named(figures(page)["合计"])
    assert total == {
        "received": "6",  # A2–A6, B1 (A1 came in September)
        "accepted": "4",  # A2, B1, A4, A5
        "rejected": "1",  # A3
        "corrections": "2",  # A2 after acceptance, A3 before it
        "concluded": "3",  # A1, A2, B1
        "on_time": "2",
        "overdue": "1",  # A2
        "on_time_rate": "66.7%",
        "instant_share": "33.3%",  # B1 of 3
        "average_days": "2.0",  # (2 + 4 + 0) / 3, the weekend, the holiday and A2's pause left out
        "open": "3",  # A4, A5, A6
        "green": "1",
        "yellow": "0",
        "red": "1",
        "satisfaction": "66.7%",  # 非常满意 and 满意 of three ratings
    }
    by_item = {name: named(cells) for name, cells in figures(page).items()}
    assert by_item["老年优待证"]["concluded"] == "1" and by_item["老年优待证"]["average_days"] == "0.0"
    assert by_item["老年优待证"]["instant_share"] == "100.0%"
    assert by_item["居住证明"]["average_days"] == "3.0" and by_item["居住证明"]["on_time_rate"] == "50.0%"
    by_window = figures(page, "window")
    assert list(by_window) == ["1号窗口 综合受理（甲一社区）", "合计"]
    # what the clock stored agrees with the hand count of A2
    clock = clock_for(october["a2"])
    assert clock.paused_days == 3 and clock.overdue_at_stop


def test_months_each_count_their_own_events_and_nothing_concluded_shows_a_dash(tree, october):
    page = client_for(october["clerk"]).get(PAGE, {"start": "2026-09-01", "end": "2026-10-31"})

    by_month = {name: named(cells) for name, cells in figures(page, "month").items()}
    assert list(by_month) == ["2026年9月", "2026年10月", "合计"]
    september, oct_ = by_month["2026年9月"], by_month["2026年10月"]
    assert (september["received"], september["accepted"], september["concluded"]) == ("1", "1", "0")
    assert september["on_time_rate"] == "—" and september["average_days"] == "—"
    assert september["open"] == "—"  # being handled now is not a month's figure
    assert (oct_["received"], oct_["concluded"]) == ("6", "3")
    assert by_month["合计"]["received"] == "7" and by_month["合计"]["open"] == "3"
    assert 'data-chart="months"' in page.content.decode() and "echarts.min.js" in page.content.decode()


def test_a_community_clerk_counts_only_their_community_the_subdistrict_counts_both(tree, october):
    clerk_total = named(figures(client_for(october["clerk"]).get(PAGE, OCTOBER))["合计"])
    leader = make_user(tree.subdistrict_a, "applications.view_application")
    leader_page = client_for(leader).get(PAGE, OCTOBER)
    leader_total = named(figures(leader_page)["合计"])
    outsider = make_user(tree.subdistrict_b, "applications.view_application")
    outsider_total = named(figures(client_for(outsider).get(PAGE, OCTOBER))["合计"])

    assert "临时救助" not in figures(client_for(october["clerk"]).get(PAGE, OCTOBER))
    assert clerk_total["received"] == "6" and clerk_total["concluded"] == "3"
    # C1 as well: 4 concluded, 3 on time, (2 + 4 + 0 + 1) / 4 = 1.75 working days
    assert leader_total["received"] == "7" and leader_total["concluded"] == "4"
    assert leader_total["on_time_rate"] == "75.0%" and leader_total["average_days"] == "1.8"
    assert set(figures(leader_page, "org")) == {"甲一社区", "甲二社区", "合计"}
    assert outsider_total["received"] == "0" and outsider_total["on_time_rate"] == "—"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"start": "2026-10-31", "end": "2026-10-01"}, "结束日期不能早于开始日期。"),
        ({"start": "2025-01-01", "end": "2026-01-02"}, "统计区间最长 366 天，请缩短后重试。"),
        ({"start": "2026-13-01", "end": "2026-10-01"}, "请填写有效的日期，格式如 2026-03-01。"),
        ({"start": "9999-12-01", "end": "9999-12-31"}, "请填写有效的日期，格式如 2026-03-01。"),
    ],
)
def test_a_bad_range_is_refused_with_the_reason(tree, october, params, message):
    client = client_for(october["clerk"])

    page = client.get(PAGE, params)
    assert page.status_code == 400
    html = page.content.decode()
    assert message in html and 'data-testid="stats-item"' not in html

    answer = api_client_for(october["clerk"]).get(API, params)
    assert answer.status_code == 400
    body = answer.json()
    assert body["code"] == "invalid" and message in sum(body["errors"].values(), [])

    assert client.get(EXPORT, params).status_code == 302
    assert not AuditEvent.objects.filter(event_name="applications.statistics.exported").exists()


def test_a_leap_year_is_one_range(tree, october):
    page = client_for(october["clerk"]).get(PAGE, {"start": "2028-01-01", "end": "2028-12-31"})
    assert page.status_code == 200


def test_the_default_is_this_month_and_the_quick_choices_are_offered(tree, october):
    page = client_for(october["clerk"]).get(PAGE)
    html = page.content.decode()
    assert page.status_code == 200
    for label in ("本月", "上月", "本季度", "本年"):
        assert f">{label}</a>" in html
    assert 'aria-current="page"' in html and "办件统计 · 本月" in html


def test_one_end_given_is_read_as_that_month(tree, october):
    """`start=2025-01-01` alone is January 2025 — not January 2025 to today (refused as too long), nor an
    end the user never typed."""
    api = api_client_for(october["clerk"])
    answer = api.get(API, {"start": "2025-01-01"})
    assert answer.status_code == 200 and (answer.json()["start"], answer.json()["end"]) == (
        "2025-01-01",
        "2025-01-31",
    )
    answer = api.get(API, {"end": "2027-02-10"})
    assert answer.status_code == 200 and (answer.json()["start"], answer.json()["end"]) == (
        "2027-02-01",
        "2027-02-10",
    )
    answer = api.get(API, {"start": "2026-13-01", "group": "week"})
    assert answer.status_code == 400 and set(answer.json()["errors"]) == {"start", "group"}


def test_the_export_holds_the_tables_and_is_audited(tree, october):
    response = client_for(october["clerk"]).get(EXPORT, OCTOBER)

    assert response.status_code == 200
    workbook = load_workbook(BytesIO(b"".join(response.streaming_content)))
    assert workbook.sheetnames == ["按事项", "按办理机构", "按窗口", "按月份"]
    title, header, *rows = list(workbook["按事项"].iter_rows(values_only=True))
    assert "甲一社区办件统计" in title[0] and "2026-10-01 至 2026-10-31" in title[0]
    assert header[:6] == ("事项", "收件量", "受理量", "不予受理", "补正次数", "办结量")
    assert header[11:] == ("当前在办", "其中正常（绿）", "其中预警（黄）", "其中超期（红）", "满意度")
    total = rows[-1]
    assert total[0] == "合计" and total[1:6] == (6, 4, 1, 2, 3) and total[8] == "66.7%"
    assert total[10] == 2.0
    event = AuditEvent.objects.get(event_name="applications.statistics.exported")
    assert event.actor == october["clerk"] and event.event_code == 5182
    assert event.after == {"period_start": "2026-10-01", "period_end": "2026-10-31"}


def test_the_api_gives_the_pages_numbers(tree, october):
    page = figures(client_for(october["clerk"]).get(PAGE, OCTOBER), "org")
    api = api_client_for(october["clerk"])

    answer = api.get(API, {**OCTOBER, "group": "org"})

    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert (body["start"], body["end"], body["group"]) == ("2026-10-01", "2026-10-31", "org")
    [row] = body["rows"]
    assert row["name"] == "甲一社区" and row["key"] == str(tree.community_a1.pk)
    as_page = named(page["甲一社区"])
    for field in ("received", "accepted", "rejected", "corrections", "concluded", "open", "red"):
        assert str(row[field]) == as_page[field]
    assert row["on_time_rate"] == 66.7 and as_page["on_time_rate"] == "66.7%"
    assert row["average_days"] == 2.0 and row["satisfaction"] == 66.7
    assert body["total"]["name"] == "合计" and body["total"]["received"] == 6
    months = api.get(API, {**OCTOBER, "group": "month"}).json()
    assert [r["key"] for r in months["rows"]] == ["2026-10"] and months["rows"][0]["open"] is None
    bad = api.get(API, {"start": "2026-10-31", "end": "2026-10-01", "group": "person"})
    assert bad.status_code == 400
    assert bad.json()["errors"] == {
        "group": ["group 的取值无效，可选：item、org、window、month。"],
        "end": ["结束日期不能早于开始日期。"],
    }


def test_without_the_permission_there_is_no_page(tree, october):
    nobody = make_user(tree.community_a1, "applications.view_rating")
    assert client_for(nobody).get(PAGE).status_code == 403
    assert api_client_for(nobody).get(API).status_code == 403


def test_the_number_of_queries_does_not_grow_with_the_applications(tree):
    clerk = make_user(tree.community_a1, *CLERK_PERMISSIONS)
    items = [make_item(tree.community_a1, promised_limit_days=3) for _ in range(2)]
    client = client_for(clerk)

    def add(n):
        for index in range(n):
            application = accepted(clerk, items[index % 2], local(2026, 10, 12 + index % 3))
            if index % 2:
                conclude(clerk, application, local(2026, 10, 16))
                rate(application, RatingLevel.SATISFIED, local(2026, 10, 17))

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(PAGE, OCTOBER).status_code == 200
        return len(captured)

    add(4)
    client.get(PAGE, OCTOBER)  # sessions, content types and the calendar read once
    few = queries()
    add(8)
    assert queries() == few


def test_the_rating_statistics_page_title_is_its_name(tree):
    # its title block once held a copy of the 按评价渠道 table, markup and all
    leader = make_user(tree.subdistrict_a, "applications.view_rating")
    html = client_for(leader).get("/hall/staff/ratings/").content.decode()
    title = html.split("<title>", 1)[1].split("</title>", 1)[0]
    assert "好差评统计" in title and "<" not in title and html.count('data-testid="by-channel"') == 1


def test_a_month_begins_at_midnight_beijing_time_summer_time_included(tree):
    """Counted in SQL at UTC+8 since the last summer time (1991); before it, in Beijing's time of the day: an
    application of 00:30 on 1 August 1991 (UTC+9 then) belongs to August, as one of 00:30 on 1 November 2026."""
    clerk = make_user(tree.community_a1, *CLERK_PERMISSIONS)
    item = make_item(tree.community_a1, name="居住证明", promised_limit_days=3)
    utc = dt.UTC
    walk_in(clerk, item, at=dt.datetime(1991, 7, 31, 15, 30, tzinfo=utc))
    walk_in(clerk, item, at=dt.datetime(2026, 10, 31, 16, 30, tzinfo=utc))
    client = client_for(clerk)

    summer = figures(client.get(PAGE, {"start": "1991-07-01", "end": "1991-08-31"}), "month")
    autumn = figures(client.get(PAGE, {"start": "2026-10-01", "end": "2026-11-30"}), "month")

    assert named(summer["1991年7月"])["received"] == "0" and named(summer["1991年8月"])["received"] == "1"
    assert named(autumn["2026年10月"])["received"] == "0" and named(autumn["2026年11月"])["received"] == "1"


def test_concluding_keeps_the_clocks_verdict_and_paused_days_on_the_application(tree, october):
    """超期办结 and the paused days are counted from what concluding recorded: A2 (一次性告知, overdue) and an
    application suspended (中止) for a week and concluded late, as their clocks judged them."""
    clerk = october["clerk"]
    suspended = accepted(clerk, october["promised"], local(2026, 10, 12))
    services.application_suspend(
        actor=clerk, application=suspended, reason="等待产权核查", at=local(2026, 10, 13)
    )
    services.application_resume(actor=clerk, application=suspended, at=local(2026, 10, 19))
    conclude(clerk, suspended, local(2026, 10, 23))
    still_open = accepted(clerk, october["promised"], local(2026, 10, 26))

    for application, paused in ((october["a2"], 3), (suspended, 4)):
        application.refresh_from_db()
        clock = clock_for(application)
        assert (application.concluded_overdue, application.concluded_paused_days) == (True, paused)
        assert (clock.overdue_at_stop, clock.paused_days) == (True, paused)
    assert (still_open.concluded_overdue, still_open.concluded_paused_days) == (None, None)
    by_item = {name: named(cells) for name, cells in figures(client_for(clerk).get(PAGE, OCTOBER)).items()}
    # A1 2 days on time, A2 4 overdue, the suspended one (12, 23 Oct] 9 working days less 4 paused = 5, overdue
    assert by_item["居住证明"]["concluded"] == "3" and by_item["居住证明"]["overdue"] == "2"
    assert by_item["居住证明"]["average_days"] == "3.7"


def test_the_migration_fills_in_the_facts_of_applications_concluded_before_it(tree, october, monkeypatch):
    """Applications concluded before the facts were kept get them from their clocks (one id at a time here, to
    go through several batches), and the statistics read the same."""
    from django.apps import apps

    migration = importlib.import_module("jiedao.applications.migrations.0030_concluded_clock_facts_backfill")
    leader = make_user(tree.subdistrict_a, "applications.view_application")
    client = client_for(leader)
    pages = {group: figures(client.get(PAGE, OCTOBER), group) for group in ("item", "org", "window", "month")}
    recorded = dict(Application.objects.values_list("pk", "concluded_overdue"))
    Application.objects.update(concluded_overdue=None, concluded_paused_days=None)
    assert named(figures(client.get(PAGE, OCTOBER))["合计"])["overdue"] == "0"

    monkeypatch.setattr(migration, "BATCH", 1)
    migration.record_concluded_clock_facts(apps, None)

    assert dict(Application.objects.values_list("pk", "concluded_overdue")) == recorded
    for application in Application.objects.all():
        clock = clock_for(application)
        if application.is_concluded:
            assert application.concluded_overdue == clock.overdue_at_stop
            assert application.concluded_paused_days == clock.paused_days
        else:
            assert application.concluded_paused_days is None
    assert {group: figures(client.get(PAGE, OCTOBER), group) for group in pages} == pages
