"""The working-day calendar behind every time limit of the platform.

Which days are working days comes from three layers, the first that speaks wins:

1. `CalendarDay` rows the system administrator entered (overrides);
2. the statutory holidays and make-up workdays (调休) of the `chinese_calendar` package (2004–2026);
3. the plain rule: Monday to Friday are working days, Saturday and Sunday are rest days.

A year is *covered* when the package knows it or a `CalendarYear` row exists for it (``published``: the
administrator entered the State Council notice as overrides; ``provisional``: the administrator accepts
"weekends only" for now). Computing anything that touches an uncovered year raises `CalendarNotCovered` and
opens a `SystemAlert`: the platform never guesses a deadline silently.

Computations run on an in-memory `Calendar` snapshot (per-year sets of the days that differ from the plain
rule). The snapshot is rebuilt only when the override tables change, detected by one small aggregate query
per call, so a deadline costs no query per day. Batch callers may take `current_calendar()` once and call
its methods directly.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass
from functools import cache
from typing import Literal
from zoneinfo import ZoneInfo

import chinese_calendar
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiedao.audit import services as audit
from jiedao.core.exceptions import ServiceError, ValidationFailed
from jiedao.core.models import SystemAlert
from jiedao.core.scope import require
from jiedao.workcalendar import audit_events as events
from jiedao.workcalendar.choices import DaySource, YearStatus
from jiedao.workcalendar.models import CalendarDay, CalendarYear

logger = logging.getLogger(__name__)

CHINA_TZ = ZoneInfo("Asia/Shanghai")
CHANGE_PERMISSION = "workcalendar.change_calendarday"
MAX_DAYS_PER_CALL = 366
FIRST_EDITABLE_YEAR, LAST_EDITABLE_YEAR = 2000, 2100
PACKAGE_FIRST_YEAR = min(chinese_calendar.holidays).year
PACKAGE_LAST_YEAR = max(chinese_calendar.holidays).year
ONE_DAY = dt.timedelta(days=1)

Source = Literal["override", "package", "weekend", "provisional"]
Basis = Literal["package", "published", "provisional"]

HOLIDAY_NAMES = {
    "New Year's Day": gettext_lazy("元旦"),
    "Spring Festival": gettext_lazy("春节"),
    "Tomb-sweeping Day": gettext_lazy("清明节"),
    "Labour Day": gettext_lazy("劳动节"),
    "Dragon Boat Festival": gettext_lazy("端午节"),
    "National Day": gettext_lazy("国庆节"),
    "Mid-autumn Festival": gettext_lazy("中秋节"),
    "Anti-Fascist 70th Day": gettext_lazy("抗战胜利70周年纪念日"),
}


class CalendarNotCovered(ServiceError):
    """A computation touched a year for which no holiday arrangement is known."""

    code = "calendar_not_covered"

    def __init__(self, year: int):
        self.year = year
        super().__init__(not_covered_message(year))


def not_covered_message(year: int) -> str:
    return _("%(year)d年的法定节假日安排尚未录入，无法计算工作日，请系统管理员在工作日历中录入。") % {
        "year": year
    }


@dataclass(frozen=True)
class DayInfo:
    date: dt.date
    is_workday: bool
    reason: str
    source: Source

    @property
    def marked(self) -> bool:
        """A named day (statutory holiday, make-up workday or administrator override), not the plain rule."""
        return self.source in (DaySource.OVERRIDE, DaySource.PACKAGE)


# --- the in-memory calendar ---------------------------------------------------------------------------


@cache
def _package_year(year: int) -> dict[dt.date, tuple[bool, str]]:
    """The package's named days of one year: date → (is working day, English holiday key)."""
    notes: dict[dt.date, tuple[bool, str]] = {}
    for day, name in chinese_calendar.holidays.items():
        if day.year == year:
            notes[day] = (False, name)
    for day, name in chinese_calendar.workdays.items():
        if day.year == year:
            notes[day] = (True, name)
    return notes


def _package_reason(is_workday: bool, name: str) -> str:
    label = str(HOLIDAY_NAMES.get(name) or name)
    return _("%(name)s调休上班") % {"name": label} if is_workday else label


@dataclass(frozen=True)
class _YearData:
    basis: Basis
    # Days whose working status differs from "Monday–Friday work": the only days a loop needs to look up.
    flips: frozenset[dt.date]
    overrides: dict[dt.date, tuple[bool, str]]


def _plain_workday(day: dt.date) -> bool:
    return day.weekday() < 5


def _weekdays_between(first: dt.date, last: dt.date) -> int:
    """Monday–Friday days in [first, last]."""
    days = (last - first).days + 1
    if days <= 0:
        return 0
    weeks, rest = divmod(days, 7)
    start = first.weekday()
    return weeks * 5 + sum(1 for i in range(rest) if (start + i) % 7 < 5)


def _as_date(value: dt.date | dt.datetime) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.astimezone(CHINA_TZ).date() if timezone.is_aware(value) else value.date()
    if isinstance(value, dt.date):
        return value
    raise TypeError(f"expected a date, got {type(value).__name__}")


def _check_units(n: int, field: str = "n") -> None:
    if isinstance(n, bool) or not isinstance(n, int):
        raise ValidationFailed({field: [_("天数应为整数。")]})
    if n < 0:
        raise ValidationFailed({field: [_("天数不能为负数。")]})


class Calendar:
    """A snapshot of the calendar data. Its methods never query the database (except to open an alert)."""

    def __init__(self, overrides: dict[dt.date, tuple[bool, str]], years: dict[int, str]):
        self._years = dict(years)
        self._overrides_by_year: dict[int, dict[dt.date, tuple[bool, str]]] = {}
        for day, entry in overrides.items():
            self._overrides_by_year.setdefault(day.year, {})[day] = entry
        self._data: dict[int, _YearData] = {}

    # coverage ----------------------------------------------------------------------------------------

    def basis(self, year: int) -> Basis | None:
        """How `year` is covered: "package", "published", "provisional", or None when it is not."""
        if PACKAGE_FIRST_YEAR <= year <= PACKAGE_LAST_YEAR:
            return "package"
        status = self._years.get(year)
        return status if status in (YearStatus.PUBLISHED, YearStatus.PROVISIONAL) else None  # type: ignore[return-value]

    def _year(self, year: int) -> _YearData:
        data = self._data.get(year)
        if data is not None:
            return data
        basis = self.basis(year)
        if basis is None:
            open_year_alert(year)
            raise CalendarNotCovered(year)
        overrides = self._overrides_by_year.get(year, {})
        status: dict[dt.date, bool] = {}
        if basis == "package":
            status.update({day: workday for day, (workday, _name) in _package_year(year).items()})
        status.update({day: workday for day, (workday, _reason) in overrides.items()})
        flips = frozenset(day for day, workday in status.items() if workday != _plain_workday(day))
        data = _YearData(basis=basis, flips=flips, overrides=overrides)
        self._data[year] = data
        return data

    # single days -------------------------------------------------------------------------------------

    def is_workday(self, day: dt.date) -> bool:
        day = _as_date(day)
        return _plain_workday(day) != (day in self._year(day.year).flips)

    def day_info(self, day: dt.date) -> DayInfo:
        day = _as_date(day)
        data = self._year(day.year)
        if day in data.overrides:
            workday, reason = data.overrides[day]
            return DayInfo(day, workday, reason, DaySource.OVERRIDE.value)
        if data.basis == "package":
            named = _package_year(day.year).get(day)
            if named is not None:
                return DayInfo(day, named[0], _package_reason(*named), DaySource.PACKAGE.value)
        workday = _plain_workday(day)
        source = (
            DaySource.PROVISIONAL.value if data.basis == YearStatus.PROVISIONAL else DaySource.WEEKEND.value
        )
        return DayInfo(day, workday, "" if workday else _("周末"), source)

    def days(self, start: dt.date, end: dt.date) -> list[DayInfo]:
        start, end = _as_date(start), _as_date(end)
        if end < start:
            raise ValidationFailed({"to": [_("结束日期不能早于开始日期。")]})
        count = (end - start).days + 1
        if count > MAX_DAYS_PER_CALL:
            raise ValidationFailed({"to": [_("一次最多查询 %(n)d 天。") % {"n": MAX_DAYS_PER_CALL}]})
        return [self.day_info(start + dt.timedelta(days=i)) for i in range(count)]

    # arithmetic --------------------------------------------------------------------------------------

    def add_working_days(self, start: dt.date, n: int) -> dt.date:
        """The n-th working day after `start` (「n个工作日内」, counted from the next day); n=0 gives `start`."""
        start = _as_date(start)
        _check_units(n)
        day, remaining, year, flips = start, n, None, frozenset()
        try:
            while remaining:
                day += ONE_DAY
                if day.year != year:
                    year = day.year
                    flips = self._year(year).flips
                if (day.weekday() < 5) != (day in flips):
                    remaining -= 1
        except OverflowError:
            raise ValidationFailed({"n": [_("日期超出可计算的范围。")]}) from None
        return day

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in (start, end]: 0 when end == start."""
        start, end = _as_date(start), _as_date(end)
        if end < start:
            raise ValidationFailed({"end": [_("结束日期不能早于开始日期。")]})
        total = 0
        first = start
        while first < end:
            first += ONE_DAY
            last = min(end, dt.date(first.year, 12, 31))
            flips = self._year(first.year).flips
            total += _weekdays_between(first, last)
            total += sum(1 if not _plain_workday(f) else -1 for f in flips if first <= f <= last)
            first = last
        return total

    def add_calendar_days_rolling(self, start: dt.date, n: int) -> dt.date:
        """start + n calendar days; when that last day is a rest day it rolls forward to the next working day."""
        start = _as_date(start)
        _check_units(n)
        try:
            day = start + dt.timedelta(days=n)
            while not self.is_workday(day):
                day += ONE_DAY
        except OverflowError:
            raise ValidationFailed({"n": [_("日期超出可计算的范围。")]}) from None
        return day


# --- the current snapshot -----------------------------------------------------------------------------

_lock = threading.Lock()
_snapshot: tuple[tuple, Calendar] | None = None


def _fingerprint() -> tuple:
    """Changes whenever an override or a year row is added, changed or removed (one cheap query)."""
    quote = connection.ops.quote_name
    days, years = quote(CalendarDay._meta.db_table), quote(CalendarYear._meta.db_table)
    updated = quote("updated_at")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT COUNT(*) FROM {days}), (SELECT MAX({updated}) FROM {days}), "
            f"(SELECT COUNT(*) FROM {years}), (SELECT MAX({updated}) FROM {years})"
        )
        return tuple(str(value) for value in cursor.fetchone())


def current_calendar() -> Calendar:
    """The calendar as stored now; reused between calls until the override tables change."""
    global _snapshot
    stamp = _fingerprint()
    snapshot = _snapshot
    if snapshot is not None and snapshot[0] == stamp:
        return snapshot[1]
    overrides = {
        row[0]: (row[1], row[2]) for row in CalendarDay.objects.values_list("date", "is_workday", "reason")
    }
    years = dict(CalendarYear.objects.values_list("year", "status"))
    calendar = Calendar(overrides, years)
    with _lock:
        _snapshot = (stamp, calendar)
    return calendar


def clear_cache() -> None:
    global _snapshot
    with _lock:
        _snapshot = None


# --- the public computations --------------------------------------------------------------------------


def is_workday(d: dt.date) -> bool:
    return current_calendar().is_workday(d)


def day_info(d: dt.date) -> DayInfo:
    return current_calendar().day_info(d)


def days(start: dt.date, end: dt.date) -> list[DayInfo]:
    """Every day of [start, end] (at most 366 days)."""
    return current_calendar().days(start, end)


def add_working_days(start: dt.date, n: int) -> dt.date:
    """The n-th working day after `start`; n=0 returns `start`; negative n is refused."""
    return current_calendar().add_working_days(start, n)


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days in (start, end]."""
    return current_calendar().working_days_between(start, end)


def add_calendar_days_rolling(start: dt.date, n: int) -> dt.date:
    """start + n calendar days, rolled forward to the next working day when it is a rest day."""
    return current_calendar().add_calendar_days_rolling(start, n)


def year_basis(year: int) -> Basis | None:
    """How `year` is covered ("package" / "published" / "provisional"), None when it is not. Opens no alert."""
    return current_calendar().basis(year)


# --- alerts ------------------------------------------------------------------------------------------


def alert_key(year: int) -> str:
    return f"workcalendar.year.{year}"


def open_year_alert(year: int) -> None:
    """Create, or reopen, the unresolved alert asking the administrator to enter `year`.

    Runs in a savepoint and never raises: the caller is about to report the missing year anyway.
    """
    key = alert_key(year)
    try:
        with transaction.atomic():
            if not SystemAlert.objects.filter(key=key, resolved_at__isnull=True).exists():
                SystemAlert.objects.update_or_create(
                    key=key, defaults={"message": not_covered_message(year), "resolved_at": None}
                )
    except DatabaseError:
        logger.exception("could not record the calendar alert for %s", year)


def _resolve_year_alert(year: int) -> None:
    SystemAlert.objects.filter(key=alert_key(year), resolved_at__isnull=True).update(
        resolved_at=timezone.now()
    )


def check_coverage(*, today: dt.date | None = None) -> list[int]:
    """Open alerts for the current year and, close to year end, the next one when they are not covered;
    resolve alerts of years that became covered (e.g. after a package upgrade). Returns the uncovered years."""
    from jiedao.parameters.services import get_parameter

    today = today or timezone.localdate(timezone=CHINA_TZ)
    lead_days = get_parameter("workcalendar.next_year_alert_days")
    wanted = [today.year]
    if lead_days and (dt.date(today.year, 12, 31) - today).days < lead_days:
        wanted.append(today.year + 1)
    calendar = current_calendar()
    uncovered = [year for year in wanted if calendar.basis(year) is None]
    for year in uncovered:
        open_year_alert(year)
    prefix = "workcalendar.year."
    for key in SystemAlert.objects.filter(key__startswith=prefix, resolved_at__isnull=True).values_list(
        "key", flat=True
    ):
        suffix = key[len(prefix) :]
        if suffix.isdigit() and calendar.basis(int(suffix)) is not None:
            _resolve_year_alert(int(suffix))
    return uncovered


# --- administration ----------------------------------------------------------------------------------

DAY_FIELDS = ["date", "is_workday", "reason"]
YEAR_FIELDS = ["year", "status", "note"]


def _check_year(year: int, field: str) -> None:
    if not FIRST_EDITABLE_YEAR <= year <= LAST_EDITABLE_YEAR:
        raise ValidationFailed(
            {
                field: [
                    _("年度应在 %(a)d 至 %(b)d 之间。") % {"a": FIRST_EDITABLE_YEAR, "b": LAST_EDITABLE_YEAR}
                ]
            }
        )


def calendar_day_set(*, actor, date: dt.date, is_workday: bool, reason: str) -> CalendarDay:
    """Add or change the override for one day."""
    require(actor, CHANGE_PERMISSION, None)
    reason = (reason or "").strip()
    _check_year(date.year, "date")
    if not reason:
        raise ValidationFailed({"reason": [_("请填写原因，如“元旦”“春节调休上班”。")]})
    if len(reason) > 100:
        raise ValidationFailed({"reason": [_("原因不能超过 100 个字。")]})
    with transaction.atomic():
        day = CalendarDay.objects.select_for_update().filter(date=date).first()
        before = audit.snapshot(day, DAY_FIELDS) if day else None
        if day is None:
            day = CalendarDay(date=date)
        day.is_workday, day.reason, day.updated_by = bool(is_workday), reason, actor
        day.save()
        audit.record(
            events.CALENDAR_DAY_SET,
            actor=actor,
            target=day,
            before=before,
            after=audit.snapshot(day, DAY_FIELDS),
        )
    return day


def calendar_day_delete(*, actor, date: dt.date) -> None:
    """Remove the override for one day: the built-in data or the weekday rule applies again."""
    require(actor, CHANGE_PERMISSION, None)
    with transaction.atomic():
        day = CalendarDay.objects.select_for_update().filter(date=date).first()
        if day is None:
            raise ServiceError(_("%(date)s 没有调整记录。") % {"date": date.isoformat()}, code="not_found")
        audit.record(
            events.CALENDAR_DAY_DELETED, actor=actor, target=day, before=audit.snapshot(day, DAY_FIELDS)
        )
        day.delete()


def calendar_year_set(*, actor, year: int, status: str, note: str = "") -> CalendarYear:
    """Declare how a year the built-in data does not know is covered; resolves the year's alert."""
    require(actor, CHANGE_PERMISSION, None)
    note = (note or "").strip()
    _check_year(year, "year")
    if status not in YearStatus.values:
        raise ValidationFailed({"status": [_("请选择年度状态。")]})
    if PACKAGE_FIRST_YEAR <= year <= PACKAGE_LAST_YEAR:
        raise ValidationFailed(
            {
                "year": [
                    _("%(year)d年的法定节假日已由内置数据提供，无需设置；个别日期可添加调整日。")
                    % {"year": year}
                ]
            }
        )
    if status == YearStatus.PUBLISHED and not CalendarDay.objects.filter(date__year=year).exists():
        raise ValidationFailed(
            {
                "status": [
                    _("请先把%(year)d年国务院放假通知中的放假和调休上班日期逐日录入，再标记为已录入。")
                    % {"year": year}
                ]
            }
        )
    if len(note) > 500:
        raise ValidationFailed({"note": [_("说明不能超过 500 个字。")]})
    with transaction.atomic():
        row = CalendarYear.objects.select_for_update().filter(year=year).first()
        before = audit.snapshot(row, YEAR_FIELDS) if row else None
        if row is None:
            row = CalendarYear(year=year)
        row.status, row.note, row.updated_by = status, note, actor
        row.save()
        _resolve_year_alert(year)
        audit.record(
            events.CALENDAR_YEAR_SET,
            actor=actor,
            target=row,
            before=before,
            after=audit.snapshot(row, YEAR_FIELDS),
        )
    return row
