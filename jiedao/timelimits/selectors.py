"""Reads of the time-limit clocks shared by pages of several apps."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from jiedao.timelimits.choices import OPEN_STATUSES
from jiedao.timelimits.models import Clock
from jiedao.workcalendar import services as workcalendar
from jiedao.workcalendar.choices import CountingRule
from jiedao.workcalendar.services import CHINA_TZ


def provisional_open_clocks(queryset=None):
    """Open clocks whose due date was computed provisionally (it reaches a year whose holiday notice is
    not entered yet): they move when it is."""
    queryset = Clock.objects.all() if queryset is None else queryset
    return queryset.filter(status__in=OPEN_STATUSES, due_provisional=True)


@dataclass(frozen=True)
class TimeLeft:
    """What is left of a running clock, or how far past its due date, in the unit of its limit."""

    overdue: bool
    text: str


def time_left(
    clock: Clock, now: dt.datetime | None = None, calendar: workcalendar.Calendar | None = None
) -> TimeLeft | None:
    """The countdown of a running clock in the unit it is limited in: working days on the work calendar for
    a working-day limit (a limit of 20 working days is not "4 weeks" across 春节), calendar days for a
    calendar-day limit, hours for an hour limit. None for a paused or stopped clock, whose due date does not
    run. A page of clocks passes one `calendar` (`workcalendar.current_calendar()`): each module-level
    look-up checks the calendar tables for changes, a query a clock."""
    if clock.stopped_at is not None or clock.paused_at is not None:
        return None
    now = now or timezone.now()
    overdue = now > clock.due_at
    if clock.rule == CountingRule.HOURS:
        hours = int(abs(clock.due_at - now) // dt.timedelta(hours=1))
        if overdue:
            text = _("已超期 %(n)d 小时") % {"n": hours} if hours else _("已超期不足 1 小时")
        else:
            text = _("剩余 %(n)d 小时") % {"n": hours} if hours else _("剩余不足 1 小时")
        return TimeLeft(overdue, text)
    today, due_day = now.astimezone(CHINA_TZ).date(), clock.due_at.astimezone(CHINA_TZ).date()
    if today == due_day and not overdue:
        return TimeLeft(False, _("今日到期"))
    first, last = sorted((today, due_day))
    if clock.rule == CountingRule.WORKING_DAYS:
        try:
            days = (calendar or workcalendar.current_calendar()).working_days_between(first, last)
        except workcalendar.CalendarNotCovered:
            days = None
        if days is not None:
            if overdue:
                # past the due day on a rest day: late, though not yet by a working day
                return TimeLeft(True, _("已超期 %(n)d 个工作日") % {"n": days} if days else _("已超期"))
            return TimeLeft(False, _("剩余 %(n)d 个工作日") % {"n": days})
    days = (last - first).days
    if overdue:
        return TimeLeft(True, _("已超期 %(n)d 天") % {"n": days} if days else _("已超期"))
    return TimeLeft(False, _("剩余 %(n)d 天") % {"n": days})
