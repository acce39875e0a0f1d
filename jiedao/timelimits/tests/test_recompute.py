"""What an office sees when the administrator enters a year's holiday notice after deadlines were computed
provisionally: open due dates follow the official calendar, colours follow, paused clocks stay right,
concluded ones keep their history.

The 2027 notice used here is a made-up one of the usual shape (元旦 1–3 January; 春节 6–13 February with
Sunday 14 and Saturday 20 February worked): the real one is whatever the State Council publishes."""

import datetime as dt

import pytest

from jiedao.audit.models import AuditEvent
from jiedao.core.scope import DataScope
from jiedao.core.testing import client_for, make_user
from jiedao.timelimits import services
from jiedao.timelimits.models import Clock
from jiedao.timelimits.tests.helpers import at, end_of, start
from jiedao.workcalendar import services as workcalendar
from jiedao.workcalendar.services import HolidayEntry

D = dt.date
NOTICE_2027 = [
    HolidayEntry("元旦", D(2027, 1, 1), D(2027, 1, 3)),
    HolidayEntry("春节", D(2027, 2, 6), D(2027, 2, 13), (D(2027, 2, 14), D(2027, 2, 20))),
]


@pytest.fixture
def admin(tree):
    return make_user(
        tree.district, "workcalendar.view_calendarday", "workcalendar.change_calendarday", scope=DataScope.ALL
    )


def enter_notice(admin):
    """The administrator enters the notice. Its recompute runs after commit, which a test's transaction never
    reaches: the tests call `recompute` with the moment they want the colours of."""
    workcalendar.calendar_year_enter(actor=admin, year=2027, holidays=NOTICE_2027)


YEAR_2027 = (D(2027, 1, 1), D(2027, 12, 31))


def recompute(now, first=YEAR_2027[0], last=YEAR_2027[1]):
    return services.clocks_recompute(actor=None, first=first, last=last, reason="录入2027年放假安排", now=now)


class TestDueDatesFollowTheNotice:
    def test_a_due_date_inside_the_spring_festival_moves_and_red_turns_back(self, tree, admin):
        # Accepted today with 48 working days: provisionally due Friday 12 February (no Spring Festival yet).
        clock = start(tree.community_a1, limit=48, started_at=at(2026, 12, 7, 10))
        assert clock.due_at == end_of(2027, 2, 12) and clock.due_provisional
        services.sweep_clocks(now=at(2027, 2, 13, 10))
        clock.refresh_from_db()
        assert clock.status == "red"

        enter_notice(admin)
        result = recompute(now=at(2027, 2, 13, 10))
        clock.refresh_from_db()
        # Officially Feb 8–12 are off and Sunday 14 February is worked: the 48th working day is Thursday 18.
        assert clock.due_at == end_of(2027, 2, 18) and not clock.due_provisional
        assert clock.status == "yellow"  # past its warning point (29 January), no longer overdue
        assert result.changed == 1 and result.turned == {"yellow": 1}
        event = clock.events.get(kind="recalculated")
        assert (event.before_due, event.after_due, event.status) == (
            end_of(2027, 2, 12),
            clock.due_at,
            "yellow",
        )
        assert event.reason == "录入2027年放假安排" and event.actor is None
        audit = AuditEvent.objects.get(event_code=1806)
        assert audit.after["changed"] == 1 and audit.after["by_kind"] == {"test.application": 1}
        assert "1 项的期限已按新日历重新计算" in audit.message

    def test_a_longer_limit_ends_on_the_right_working_day_after_the_holiday(self, tree, admin):
        clock = start(tree.community_a1, limit=60, started_at=at(2026, 12, 7, 10))
        assert clock.due_at == end_of(2027, 3, 2)
        enter_notice(admin)
        recompute(now=at(2026, 12, 8))
        clock.refresh_from_db()
        # Three weekdays more off (Feb 8–12 less the two make-up days): Friday 5 March.
        assert clock.due_at == end_of(2027, 3, 5) and clock.status == "green"

    def test_clocks_the_change_cannot_reach_are_not_written(self, tree, admin):
        before = start(tree.community_a1, limit=5, started_at=at(2026, 12, 7, 10))  # due 14 December
        hours = start(tree.community_a1, rule="hours", limit=2000, started_at=at(2026, 12, 7, 10))
        plain = start(tree.community_a1, rule="calendar_days", limit=80, started_at=at(2026, 12, 7, 10))
        enter_notice(admin)
        result = recompute(now=at(2026, 12, 8))
        assert result.changed == 0
        for clock in (before, hours, plain):
            assert not clock.events.filter(kind="recalculated").exists()

    def test_running_it_again_changes_nothing(self, tree, admin):
        start(tree.community_a1, limit=48, started_at=at(2026, 12, 7, 10))
        enter_notice(admin)
        assert recompute(now=at(2026, 12, 8)).changed == 1
        assert recompute(now=at(2026, 12, 8)).changed == 0
        assert Clock.objects.get().events.filter(kind="recalculated").count() == 1

    def test_the_rolling_rule_follows_too(self, tree, admin):
        # 2027-01-20 + 20 calendar days = Tuesday 9 February: a working day provisionally, in the holiday
        # officially, so it rolls to the next working day, Sunday 14 February (a make-up workday).
        clock = start(tree.community_a1, rule="calendar_days_rolling", limit=20, started_at=at(2027, 1, 20))
        assert clock.due_at == end_of(2027, 2, 9)
        enter_notice(admin)
        recompute(now=at(2026, 12, 8))
        clock.refresh_from_db()
        assert clock.due_at == end_of(2027, 2, 14)


class TestPausedAndClosedClocks:
    def test_a_paused_clock_stays_paused_and_resumes_by_the_official_calendar(self, tree, admin):
        clock = start(tree.community_a1, limit=15, started_at=at(2027, 1, 20, 10))
        assert clock.due_at == end_of(2027, 2, 10)
        services.clock_pause(actor=None, clock=clock, reason="申请人补正材料", at=at(2027, 2, 1, 10))
        enter_notice(admin)
        recompute(now=at(2027, 2, 2))
        clock.refresh_from_db()
        assert clock.status == "paused" and clock.paused_at == at(2027, 2, 1, 10)
        assert clock.due_at == end_of(2027, 2, 16)  # 15 working days without the pause, officially
        services.clock_resume(actor=None, clock=clock, at=at(2027, 2, 22, 10))
        # Paused over 12 official working days (Feb 2–5, 14, 15–19, 20, 22): 27 working days from the start.
        assert clock.paused_days == 12 and clock.due_at == end_of(2027, 3, 3)

    def test_a_pause_counted_provisionally_is_counted_again(self, tree, admin):
        clock = start(tree.community_a1, limit=15, started_at=at(2027, 1, 20, 10))
        services.clock_pause(actor=None, clock=clock, reason="中止", at=at(2027, 2, 1, 10))
        services.clock_resume(actor=None, clock=clock, at=at(2027, 2, 22, 10))
        assert clock.paused_days == 15 and clock.due_at == end_of(2027, 3, 3)
        enter_notice(admin)
        recompute(now=at(2027, 2, 23), first=D(2027, 1, 1))
        clock.refresh_from_db()
        # The pause covered the holiday: officially 12 working days, and the due date does not move.
        assert clock.paused_days == 12 and clock.due_at == end_of(2027, 3, 3) and not clock.due_provisional

    def test_a_concluded_clock_keeps_its_history(self, tree, admin):
        clock = start(tree.community_a1, limit=48, started_at=at(2026, 12, 7, 10))
        services.clock_stop(actor=None, clock=clock, at=at(2027, 2, 15, 10))
        assert clock.overdue_at_stop
        enter_notice(admin)
        recompute(now=at(2027, 2, 16))
        clock.refresh_from_db()
        assert clock.due_at == end_of(2027, 2, 12) and clock.overdue_at_stop and clock.due_provisional
        assert clock.status == "stopped" and not clock.events.filter(kind="recalculated").exists()


class TestSignalsAndScale:
    def test_apps_keeping_a_copy_hear_the_new_due_dates_in_the_transaction(self, tree, admin):
        from jiedao.timelimits.signals import clock_deadlines_changed

        heard = []

        def receiver(sender, kind, changes, **kwargs):
            from django.db import connection

            heard.append((kind, changes, connection.in_atomic_block))

        clock = start(tree.community_a1, limit=48, started_at=at(2026, 12, 7, 10))
        enter_notice(admin)
        clock_deadlines_changed.connect(receiver)
        try:
            recompute(now=at(2026, 12, 8))
        finally:
            clock_deadlines_changed.disconnect(receiver)
        assert heard == [("test.application", [(clock.pk, clock.object_id, end_of(2027, 2, 18))], True)]

    def test_statements_do_not_grow_with_the_number_of_clocks(self, tree, admin):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        def statements():
            with CaptureQueriesContext(connection) as queries:
                result = recompute(now=at(2026, 12, 8))
            return result.changed, len(queries)

        start(tree.community_a1, limit=48, started_at=at(2026, 12, 7, 10))
        enter_notice(admin)
        few = statements()
        for _ in range(30):
            start(tree.community_a1, limit=48, started_at=at(2026, 12, 7, 10))
        workcalendar.calendar_day_set(actor=admin, date=D(2027, 2, 5), is_workday=False, reason="春节")
        many = statements()
        assert few[0] == 1 and many[0] == 31 and few[1] == many[1]

    def test_entering_the_notice_recomputes_through_the_background_task(
        self, tree, admin, django_capture_on_commit_callbacks
    ):
        clock = start(tree.community_a1, limit=48, started_at=at(2026, 12, 7, 10))
        with django_capture_on_commit_callbacks(execute=True):
            enter_notice(admin)
        clock.refresh_from_db()
        assert clock.due_at == end_of(2027, 2, 18) and not clock.due_provisional
        assert clock.events.get(kind="recalculated").reason == "录入2027年放假安排"
        audit = AuditEvent.objects.get(event_code=1806)
        assert audit.actor == admin and audit.after["first"] == "2027-01-01"


class TestWhatStaffSee:
    def test_monitoring_marks_provisional_due_dates_and_shows_the_change(self, tree, admin):
        viewer = make_user(tree.community_a1, "timelimits.view_clock")
        clock = start(tree.community_a1, limit=48, started_at=at(2026, 12, 7, 10))
        client = client_for(viewer)
        html = client.get("/timelimits/").content.decode()
        assert 'data-testid="due-provisional"' in html and "1 项未结束事项的到期时间涉及尚未录入" in html
        assert (
            client.get("/timelimits/?provisional=1").content.decode().count('data-testid="due-provisional"')
            == 1
        )
        home = client.get("/workbench/").content.decode()
        assert "临时计算的办理期限" in home

        enter_notice(admin)
        recompute(now=at(2026, 12, 8))
        html = client.get("/timelimits/").content.decode()
        assert 'data-testid="due-provisional"' not in html and "2027-02-18 23:59" in html
        detail = client.get(f"/timelimits/{clock.pk}/").content.decode()
        assert "按工作日历重新计算" in detail and "2027-02-12 23:59 → 2027-02-18 23:59" in detail
        assert "临时计算的办理期限" not in client.get("/workbench/").content.decode()

    def test_the_api_says_whether_a_due_date_is_provisional(self, tree):
        from jiedao.core.testing import api_client_for

        viewer = make_user(tree.community_a1, "timelimits.view_clock")
        start(tree.community_a1, limit=48, started_at=at(2026, 12, 7, 10))
        body = api_client_for(viewer).get("/api/v1/clocks/").json()
        rows = body["results"] if isinstance(body, dict) else body
        assert rows[0]["due_provisional"] is True


def test_the_clock_page_shows_the_platforms_reasons_in_the_readers_language(
    tree, admin, django_capture_on_commit_callbacks
):
    """A recomputation's reason (through the background task), a pause the platform words and one a person
    typed: kept in Chinese, shown to an English reader in English except what the person typed."""
    from django.utils.translation import gettext_noop

    from jiedao.core.i18n import Message

    viewer = make_user(tree.community_a1, "timelimits.view_clock")
    clock = start(tree.community_a1, limit=48, started_at=at(2026, 12, 7, 10))
    with django_capture_on_commit_callbacks(execute=True):
        enter_notice(admin)
    services.clock_pause(
        actor=None, clock=clock, reason=Message(gettext_noop("一次性告知补正材料")), at=at(2026, 12, 9)
    )
    services.clock_resume(actor=None, clock=clock, at=at(2026, 12, 10))
    services.clock_pause(actor=None, clock=clock, reason="等待现场核查", at=at(2026, 12, 11))
    other = start(tree.community_a1, limit=2, started_at=at(2026, 12, 7, 10))
    services.sweep_clocks(now=at(2027, 3, 1))  # the sweep's set-based insert leaves no message
    assert other.events.get(kind="status_changed").reason_message == {}
    reasons = list(clock.events.exclude(reason="").values_list("reason", flat=True))
    assert reasons == ["录入2027年放假安排", "一次性告知补正材料", "等待现场核查"]

    url = f"/timelimits/{clock.pk}/"
    english = client_for(viewer).get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Enter the holiday schedule for 2027" in english and "录入2027年放假安排" not in english
    assert "Request corrected materials (all at once)" in english and "等待现场核查" in english
    chinese = client_for(viewer).get(url).content.decode()
    assert "录入2027年放假安排" in chinese and "一次性告知补正材料" in chinese


class TestTheAdministratorIsReminded:
    def test_a_deadline_reaching_a_provisional_year_opens_a_standing_reminder(self, tree, admin):
        from jiedao.core.models import SystemAlert

        def open_alerts():
            return SystemAlert.objects.filter(key="workcalendar.year.2027", resolved_at__isnull=True)

        # 2027 is marked provisional (weekends only): no deadline reaches it yet, no reminder.
        start(tree.community_a1, limit=5, started_at=at(2026, 12, 7, 10))
        assert not open_alerts().exists()
        start(tree.community_a1, limit=20, started_at=at(2026, 12, 7, 10))  # due 5 January 2027
        assert open_alerts().count() == 1
        start(tree.community_a1, limit=25, started_at=at(2026, 12, 7, 10))
        assert open_alerts().count() == 1
        # The daily check says how many deadlines are counted provisionally.
        workcalendar.check_coverage(today=D(2026, 12, 7))
        assert "2 项在办事项的办理期限落在该年度" in open_alerts().get().message
        enter_notice(admin)
        assert not open_alerts().exists()
