import datetime as dt
from decimal import Decimal

import pytest

from jiedao.audit.models import AuditEvent
from jiedao.core.exceptions import PermissionDenied, ServiceError, ValidationFailed
from jiedao.core.scope import DataScope
from jiedao.core.testing import make_user
from jiedao.timelimits import services
from jiedao.timelimits.models import Clock, ClockEvent
from jiedao.timelimits.tests.helpers import at, end_of, make_target, start
from jiedao.workcalendar import services as workcalendar
from jiedao.workcalendar.services import CalendarNotCovered


class TestDeadlines:
    def test_working_days_due_at_end_of_the_nth_working_day(self, tree):
        clock = start(tree.community_a1, rule="working_days", limit=5, started_at=at(2026, 9, 30, 10))
        # Oct 1–7 are the National Day holiday; Oct 8, 9, 10 (make-up Saturday), 12, 13.
        assert clock.due_at == end_of(2026, 10, 13)
        assert clock.yellow_at == end_of(2026, 10, 12)  # floor(5 × 0.8) = 4th working day
        assert clock.status == "green" and clock.yellow_ratio == Decimal("0.80")
        assert clock.due_at.utcoffset() == dt.timedelta(hours=8)

    def test_calendar_days_and_the_rolling_rule(self, tree):
        plain = start(tree.community_a1, rule="calendar_days", limit=5, started_at=at(2026, 9, 28))
        assert plain.due_at == end_of(2026, 10, 3)
        assert plain.yellow_at == end_of(2026, 10, 2)
        rolling = start(tree.community_a1, rule="calendar_days_rolling", limit=5, started_at=at(2026, 9, 28))
        assert rolling.due_at == end_of(2026, 10, 8)  # Oct 3 is a holiday: rolls to the next working day
        assert rolling.yellow_at == end_of(2026, 10, 2)

    def test_hours(self, tree):
        clock = start(tree.community_a1, rule="hours", limit=10, started_at=at(2026, 10, 1, 8))
        assert clock.due_at == at(2026, 10, 1, 18)
        assert clock.yellow_at == at(2026, 10, 1, 16)

    def test_yellow_at_start_when_the_share_rounds_to_zero(self, tree):
        clock = start(tree.community_a1, rule="working_days", limit=1, started_at=at(2026, 9, 30, 10))
        assert clock.due_at == end_of(2026, 10, 8)
        assert clock.yellow_at == clock.started_at

    def test_start_is_recorded(self, tree):
        actor = make_user(tree.community_a1)
        clock = start(tree.community_a1, actor=actor)
        event = clock.events.get()
        assert (event.kind, event.actor, event.after_due) == ("started", actor, clock.due_at)
        audit = AuditEvent.objects.get(event_code=1801)
        assert (
            audit.actor == actor and audit.org_id == tree.community_a1.pk and audit.target_id == str(clock.pk)
        )
        assert services.clock_for(clock.target) == clock
        assert services.clock_for(make_target()) is None

    def test_start_refuses_bad_input_and_a_second_clock(self, tree):
        target = make_target()
        with pytest.raises(ValidationFailed) as error:
            services.clock_start(actor=None, target=target, kind="", rule="weeks", limit=0, org=None)
        assert set(error.value.errors) == {"kind", "rule", "limit", "org"}
        start(tree.community_a1, target=target)
        with pytest.raises(ServiceError) as error:
            start(tree.community_a1, target=target)
        assert error.value.code == "clock_exists"
        assert Clock.objects.count() == 1

    @pytest.mark.calendar_as_shipped
    def test_a_deadline_in_a_year_not_entered_is_provisional_not_refused(self, tree):
        # Accepted on 2026-12-07 with 20 working days while nobody has entered 2027: the clock starts
        # (the window is not blocked), due Tuesday 5 January (元旦 is off by law), flagged provisional.
        clock = start(tree.community_a1, limit=20, started_at=at(2026, 12, 7, 10))
        assert clock.due_at == end_of(2027, 1, 5) and clock.due_provisional
        assert clock.yellow_at == end_of(2026, 12, 29)  # the 16th working day is still in 2026
        inside = start(tree.community_a1, limit=5, started_at=at(2026, 12, 7, 10))
        assert inside.due_at == end_of(2026, 12, 14) and not inside.due_provisional
        hours = start(tree.community_a1, rule="hours", limit=24 * 40, started_at=at(2026, 12, 7, 10))
        assert not hours.due_provisional

    @pytest.mark.calendar_as_shipped
    def test_a_year_before_any_data_still_refuses_to_start(self, tree):
        with pytest.raises(CalendarNotCovered) as error:
            start(tree.community_a1, limit=20, started_at=at(2003, 12, 20))
        assert "2003年的法定节假日安排尚未录入" in str(error.value.message)
        assert not Clock.objects.exists() and not AuditEvent.objects.filter(event_code=1801).exists()


class TestPauseResume:
    def test_paused_working_days_do_not_count(self, tree):
        clock = start(tree.community_a1, limit=10, started_at=at(2026, 9, 21))
        assert clock.due_at == end_of(2026, 10, 12)
        services.clock_pause(actor=None, clock=clock, reason="申请人补正材料", at=at(2026, 9, 29, 15))
        assert clock.status == "paused" and clock.paused_at == at(2026, 9, 29, 15)
        services.clock_resume(actor=None, clock=clock, at=at(2026, 10, 9, 10))
        # Working days in (Sep 29, Oct 9]: Sep 30, Oct 8, Oct 9 — nine calendar days, three working days.
        assert clock.paused_days == 3
        assert clock.due_at == end_of(2026, 10, 15)
        assert clock.due_at == services.end_of_day(workcalendar.add_working_days(dt.date(2026, 9, 21), 13))
        assert clock.yellow_at == services.end_of_day(workcalendar.add_working_days(dt.date(2026, 9, 21), 11))
        assert clock.status == "green" and clock.paused_at is None
        kinds = list(clock.events.values_list("kind", "before_due", "after_due"))
        assert kinds[1:] == [
            ("paused", end_of(2026, 10, 12), end_of(2026, 10, 12)),
            ("resumed", end_of(2026, 10, 12), end_of(2026, 10, 15)),
        ]
        assert list(AuditEvent.objects.order_by("id").values_list("event_code", flat=True)) == [
            1801,
            1802,
            1803,
        ]

    def test_pause_within_one_day_shifts_nothing(self, tree):
        clock = start(tree.community_a1, limit=3, started_at=at(2026, 9, 21))
        due = clock.due_at
        services.clock_pause(actor=None, clock=clock, reason="等待核实", at=at(2026, 9, 22, 9))
        services.clock_resume(actor=None, clock=clock, at=at(2026, 9, 22, 17))
        assert clock.due_at == due

    def test_hours_clock_shifts_by_the_exact_paused_time(self, tree):
        clock = start(tree.community_a1, rule="hours", limit=24, started_at=at(2026, 10, 1, 8))
        services.clock_pause(actor=None, clock=clock, reason="联系不上当事人", at=at(2026, 10, 1, 10))
        services.clock_resume(actor=None, clock=clock, at=at(2026, 10, 1, 13, 30))
        assert clock.due_at == at(2026, 10, 2, 11, 30)

    def test_calendar_rolling_clock_is_recomputed_exactly(self, tree):
        clock = start(tree.community_a1, rule="calendar_days_rolling", limit=5, started_at=at(2026, 9, 28))
        assert clock.due_at == end_of(2026, 10, 8)
        services.clock_pause(actor=None, clock=clock, reason="中止", at=at(2026, 9, 29))
        services.clock_resume(actor=None, clock=clock, at=at(2026, 10, 1))
        # Two calendar days paused: the period ends on Oct 5 (holiday) and rolls to Oct 8, not Oct 10.
        assert clock.due_at == end_of(2026, 10, 8)

    def test_errors_change_nothing(self, tree):
        clock = start(tree.community_a1)
        with pytest.raises(ServiceError) as error:
            services.clock_resume(actor=None, clock=clock)
        assert "未暂停" in str(error.value.message)
        with pytest.raises(ValidationFailed):
            services.clock_pause(actor=None, clock=clock, reason="  ")
        services.clock_pause(actor=None, clock=clock, reason="补正", at=at(2026, 9, 2))
        events = clock.events.count()
        with pytest.raises(ServiceError) as error:
            services.clock_pause(actor=None, clock=clock, reason="再次暂停", at=at(2026, 9, 3))
        assert "已处于暂停" in str(error.value.message)
        clock.refresh_from_db()
        assert clock.paused_at == at(2026, 9, 2) and clock.events.count() == events

    def test_stopping_a_paused_clock_applies_the_pause(self, tree):
        clock = start(tree.community_a1, limit=10, started_at=at(2026, 9, 21))
        services.clock_pause(actor=None, clock=clock, reason="补正", at=at(2026, 9, 29, 15))
        services.clock_stop(actor=None, clock=clock, at=at(2026, 10, 14, 10))
        assert clock.status == "stopped" and clock.paused_at is None
        # Paused until the stop: (Sep 29, Oct 14] holds 7 working days, so the due date moved to Oct 21.
        assert clock.due_at == end_of(2026, 10, 21) and not clock.overdue_at_stop
        with pytest.raises(ServiceError):
            services.clock_stop(actor=None, clock=clock)
        with pytest.raises(ServiceError):
            services.clock_pause(actor=None, clock=clock, reason="x")


class TestExtend:
    def test_extension_moves_due_and_yellow_by_the_same_units(self, tree):
        actor = make_user(tree.community_a1)
        clock = start(tree.community_a1, limit=10, started_at=at(2026, 9, 21))
        services.clock_extend(actor=actor, clock=clock, units=3, reason="经领导批准延长", at=at(2026, 9, 25))
        assert clock.due_at == end_of(2026, 10, 15)
        assert clock.yellow_at == services.end_of_day(workcalendar.add_working_days(dt.date(2026, 9, 21), 11))
        assert clock.extended_units == 3 and clock.limit == 10
        event = clock.events.get(kind="extended")
        assert (event.reason, event.actor, event.before_due, event.after_due) == (
            "经领导批准延长",
            actor,
            end_of(2026, 10, 12),
            end_of(2026, 10, 15),
        )
        audit = AuditEvent.objects.get(event_code=1804)
        assert audit.message == "经领导批准延长" and audit.before["due_at"] != audit.after["due_at"]

    def test_extension_needs_a_reason_and_positive_units(self, tree):
        clock = start(tree.community_a1)
        due = clock.due_at
        with pytest.raises(ValidationFailed) as error:
            services.clock_extend(actor=None, clock=clock, units=3, reason="")
        assert error.value.errors["reason"] == ["请填写延长理由。"]
        with pytest.raises(ValidationFailed):
            services.clock_extend(actor=None, clock=clock, units=0, reason="理由")
        clock.refresh_from_db()
        assert clock.due_at == due and not clock.events.filter(kind="extended").exists()

    def test_a_stopped_clock_cannot_be_extended(self, tree):
        clock = start(tree.community_a1)
        services.clock_stop(actor=None, clock=clock, at=at(2026, 9, 3))
        with pytest.raises(ServiceError) as error:
            services.clock_extend(actor=None, clock=clock, units=1, reason="理由")
        assert "已结束" in str(error.value.message)

    def test_extending_a_red_clock_makes_it_run_again(self, tree):
        clock = start(tree.community_a1, limit=2, started_at=at(2026, 9, 21))
        services.sweep_clocks(now=at(2026, 9, 24))
        clock.refresh_from_db()
        assert clock.status == "red"
        services.clock_extend(actor=None, clock=clock, units=5, reason="延期", at=at(2026, 9, 24))
        assert clock.due_at == end_of(2026, 10, 8) and clock.status == "green"


class TestSweep:
    def test_turns_yellow_then_red_and_records_events(self, tree):
        clock = start(tree.community_a1, limit=10, started_at=at(2026, 9, 21))
        assert clock.yellow_at == end_of(2026, 10, 9) and clock.due_at == end_of(2026, 10, 12)
        assert services.sweep_clocks(now=at(2026, 10, 9, 18)) == services.SweepResult(0, 0)
        assert services.sweep_clocks(now=at(2026, 10, 10, 9)) == services.SweepResult(
            turned_yellow=1, turned_red=0
        )
        clock.refresh_from_db()
        assert clock.status == "yellow"
        assert services.sweep_clocks(now=at(2026, 10, 13, 0, 1)) == services.SweepResult(
            turned_yellow=0, turned_red=1
        )
        clock.refresh_from_db()
        assert clock.status == "red"
        changes = list(clock.events.filter(kind="status_changed").values_list("status", "at"))
        assert changes == [("yellow", at(2026, 10, 10, 9)), ("red", at(2026, 10, 13, 0, 1))]
        audits = AuditEvent.objects.filter(event_code=1810).order_by("id")
        assert [a.after["turned_yellow"] for a in audits] == [1, 0]
        assert audits.last().after["by_kind"] == {"test.application": {"red": 1}}
        assert "1 项超期" in audits.last().message

    def test_green_clock_past_its_deadline_goes_straight_to_red(self, tree):
        clock = start(tree.community_a1, limit=10, started_at=at(2026, 9, 21))
        assert services.sweep_clocks(now=at(2026, 11, 2)) == services.SweepResult(0, 1)
        assert list(clock.events.filter(kind="status_changed").values_list("status", flat=True)) == ["red"]

    def test_paused_and_stopped_clocks_are_left_alone(self, tree):
        paused = start(tree.community_a1, limit=2, started_at=at(2026, 9, 21))
        stopped = start(tree.community_a1, limit=2, started_at=at(2026, 9, 21))
        services.clock_pause(actor=None, clock=paused, reason="补正", at=at(2026, 9, 22))
        services.clock_stop(actor=None, clock=stopped, at=at(2026, 9, 22))
        assert services.sweep_clocks(now=at(2026, 11, 2)) == services.SweepResult(0, 0)
        assert set(Clock.objects.values_list("status", flat=True)) == {"paused", "stopped"}
        assert not ClockEvent.objects.filter(kind="status_changed").exists()
        assert not AuditEvent.objects.filter(event_code=1810).exists()

    def test_sweep_is_set_based(self, tree):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        def sweep_queries(now):
            with CaptureQueriesContext(connection) as queries:
                result = services.sweep_clocks(now=now)
            return result, len(queries)

        start(tree.community_a1, limit=10, started_at=at(2026, 9, 21))
        start(tree.community_a2, limit=3, started_at=at(2026, 9, 21), kind="test.petition")
        small, few = sweep_queries(at(2026, 10, 10, 9))
        assert small == services.SweepResult(turned_yellow=1, turned_red=1)
        for _ in range(30):
            start(tree.community_a1, limit=10, started_at=at(2026, 10, 8))
        for _ in range(20):
            start(tree.community_a2, limit=3, started_at=at(2026, 10, 8), kind="test.petition")
        large, many = sweep_queries(at(2026, 10, 20, 9))
        assert large == services.SweepResult(turned_yellow=30, turned_red=21)
        assert many == few  # the same statements whatever the number of clocks
        assert ClockEvent.objects.filter(kind="status_changed").count() == 2 + 51

    def test_signal_is_sent_after_commit_per_kind(self, tree, django_capture_on_commit_callbacks):
        from jiedao.timelimits.signals import clock_status_changed

        received = []

        def receiver(sender, kind, status, clock_ids, **kwargs):
            received.append((kind, status, sorted(clock_ids)))

        clock_status_changed.connect(receiver)
        try:
            a = start(tree.community_a1, limit=10, started_at=at(2026, 9, 21))
            b = start(tree.community_a1, limit=10, started_at=at(2026, 9, 21), kind="test.petition")
            with django_capture_on_commit_callbacks(execute=True):
                services.sweep_clocks(now=at(2026, 10, 10, 9))
        finally:
            clock_status_changed.disconnect(receiver)
        assert sorted(received) == [
            ("test.application", "yellow", [a.pk]),
            ("test.petition", "yellow", [b.pk]),
        ]

    def test_task_and_schedule(self, tree):
        from jiedao.core.schedule import JOBS
        from jiedao.timelimits.tasks import sweep_clocks

        start(tree.community_a1, limit=1, started_at=at(2026, 9, 21))
        result = sweep_clocks.enqueue()
        assert result.return_value == {"turned_yellow": 0, "turned_red": 1}
        assert JOBS["timelimits.sweep"].every == dt.timedelta(minutes=5)


class TestPolicies:
    def test_policy_moves_the_yellow_point_of_new_clocks(self, tree):
        admin = make_user(tree.district, "timelimits.change_clockpolicy", scope=DataScope.ALL)
        before = start(tree.community_a1, limit=10, started_at=at(2026, 9, 21))
        services.clock_policy_set(actor=admin, kind="test.application", yellow_ratio="0.5", label="测试申请")
        after = start(tree.community_a1, limit=10, started_at=at(2026, 9, 21))
        assert after.yellow_ratio == Decimal("0.50")
        assert after.yellow_at == end_of(2026, 9, 29)  # 5th working day (Sep 25 is the Mid-autumn holiday)
        before.refresh_from_db()
        assert before.yellow_at == end_of(2026, 10, 9)  # unchanged: policies apply to new clocks
        assert after.due_at == before.due_at
        event = AuditEvent.objects.get(event_code=1820)
        assert event.actor == admin and event.after["yellow_ratio"] == "0.50"

    def test_policy_needs_permission_and_a_sane_ratio(self, tree):
        viewer = make_user(tree.district, "timelimits.view_clock", scope=DataScope.ALL)
        with pytest.raises(PermissionDenied):
            services.clock_policy_set(actor=viewer, kind="test.application", yellow_ratio="0.5")
        admin = make_user(tree.district, "timelimits.change_clockpolicy", scope=DataScope.ALL)
        for bad in ("0", "1", "1.5", "abc"):
            with pytest.raises(ValidationFailed):
                services.clock_policy_set(actor=admin, kind="test.application", yellow_ratio=bad)

    def test_registered_kind_default(self, tree):
        from jiedao.timelimits.registry import KINDS, register_kind

        register_kind("test.onekey", "一键呼叫", default_yellow_ratio="0.5")
        try:
            clock = start(
                tree.community_a1, rule="hours", limit=2, kind="test.onekey", started_at=at(2026, 9, 21, 8)
            )
        finally:
            KINDS.pop("test.onekey")
        assert clock.yellow_at == at(2026, 9, 21, 9)
