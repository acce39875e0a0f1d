"""Working-day limits at their edges, as 行政许可法 第八十二条 counts them (期限以工作日计算，不含法定节假日) and
民法典 第二百零一条 starts them (开始的当日不计入，自下一日开始计算): the day of acceptance never counts, whether
it is a working day, a weekend, a holiday or a make-up Saturday; the first counted day is the next working
day. The 2027 notice here is a made-up one of the usual shape."""

import datetime as dt

import pytest

from jiedao.core.exceptions import ValidationFailed
from jiedao.core.scope import DataScope
from jiedao.core.testing import make_user
from jiedao.timelimits import services
from jiedao.timelimits.tests.helpers import at, end_of, start
from jiedao.workcalendar import services as workcalendar
from jiedao.workcalendar.services import HolidayEntry

D = dt.date


@pytest.fixture
def notice_2027(tree):
    admin = make_user(tree.district, "workcalendar.change_calendarday", scope=DataScope.ALL)
    workcalendar.calendar_year_enter(
        actor=admin,
        year=2027,
        holidays=[
            HolidayEntry("元旦", D(2027, 1, 1), D(2027, 1, 3)),
            HolidayEntry("春节", D(2027, 2, 6), D(2027, 2, 13), (D(2027, 2, 14), D(2027, 2, 20))),
        ],
    )
    return admin


@pytest.mark.parametrize(
    ("accepted", "due", "what"),
    [
        (at(2026, 10, 11, 10), end_of(2026, 10, 12), "a plain Sunday: Monday is day 1"),
        (at(2026, 10, 3, 10), end_of(2026, 10, 8), "inside the National Day holiday: the first day after it"),
        (at(2026, 10, 10, 10), end_of(2026, 10, 12), "on the make-up Saturday: it is not counted either"),
        (at(2026, 10, 9, 17), end_of(2026, 10, 10), "on Friday: the make-up Saturday is day 1"),
        (at(2026, 10, 11, 23, 59), end_of(2026, 10, 12), "late at night, Beijing time"),
    ],
)
def test_the_day_of_acceptance_never_counts(tree, accepted, due, what):
    clock = start(tree.community_a1, limit=1, started_at=accepted)
    assert clock.due_at == due, what


def test_a_moment_given_in_utc_counts_from_its_beijing_date(tree):
    # 2026-10-11 16:30 UTC is 00:30 on Monday 12 October in Beijing: Monday is the day of acceptance.
    clock = start(tree.community_a1, limit=1, started_at=dt.datetime(2026, 10, 11, 16, 30, tzinfo=dt.UTC))
    assert clock.due_at == end_of(2026, 10, 13)


def test_across_the_new_year_holiday(tree, notice_2027):
    clock = start(tree.community_a1, limit=5, started_at=at(2026, 12, 28, 10))
    assert clock.due_at == end_of(2027, 1, 5) and not clock.due_provisional  # Dec 29–31, Jan 4, 5


def test_zero_day_items_are_concluded_on_the_spot_not_timed(tree):
    # 即办件: the calendar's 0 working days is the day itself; a clock needs at least one day (the service
    # hall concludes instant items at acceptance and gives their clock one day).
    assert workcalendar.add_working_days(D(2026, 10, 3), 0) == D(2026, 10, 3)
    with pytest.raises(ValidationFailed) as error:
        start(tree.community_a1, limit=0)
    assert error.value.errors["limit"] == ["时限应为正整数。"]


def test_an_extension_across_the_year_is_recomputed_with_the_notice(tree):
    clock = start(tree.community_a1, limit=15, started_at=at(2027, 1, 20, 10))
    clock = services.clock_extend(actor=None, clock=clock, units=5, reason="经批准延长", at=at(2027, 2, 1))
    assert clock.due_at == end_of(2027, 2, 17) and clock.due_provisional  # Feb 8–12 worked provisionally
    admin = make_user(tree.district, "workcalendar.change_calendarday", scope=DataScope.ALL)
    workcalendar.calendar_year_enter(
        actor=admin,
        year=2027,
        holidays=[HolidayEntry("春节", D(2027, 2, 6), D(2027, 2, 13), (D(2027, 2, 14), D(2027, 2, 20)))],
    )
    services.clocks_recompute(first=D(2027, 1, 1), last=D(2027, 12, 31), now=at(2027, 2, 2))
    clock.refresh_from_db()
    # 20 official working days: 12 up to Feb 5, then Feb 14, 15–19, Saturday 20, Monday 22.
    assert clock.due_at == end_of(2027, 2, 22) and clock.extended_units == 5 and not clock.due_provisional


def test_a_suspension_across_the_year_boundary(tree, notice_2027):
    clock = start(tree.community_a1, limit=10, started_at=at(2026, 12, 21, 10))
    services.clock_pause(actor=None, clock=clock, reason="中止", at=at(2026, 12, 30, 10))
    clock = services.clock_resume(actor=None, clock=clock, at=at(2027, 1, 6, 10))
    # Paused over Dec 31, Jan 4, 5, 6 (Jan 1–3 off): 4 days added, due the 14th working day, 11 January.
    assert clock.paused_days == 4 and clock.due_at == end_of(2027, 1, 11)
