"""The working-day calendar behind every time limit of the platform.

Which days are working days comes from three layers, the first that speaks wins:

1. `CalendarDay` rows the system administrator entered (overrides);
2. the statutory holidays and make-up workdays (调休) of the `chinese_calendar` package (2004–2026);
3. the plain rule: Monday to Friday are working days, Saturday and Sunday are rest days — and in a year
   the package does not know, the fixed-date statutory holidays (元旦, 劳动节 1–2 May, 国庆节 1–3 Oct).

A year is *confirmed* when the package knows it or the administrator entered the State Council notice and
marked the year ``published``. A later year that is not confirmed — marked ``provisional`` by the
administrator, or not entered at all — is counted *provisionally*: Saturday and Sunday off, plus the
fixed-date statutory holidays of 全国年节及纪念日放假办法 第二条 (元旦 1 Jan, 劳动节 1–2 May, 国庆节 1–3 Oct);
the lunar holidays, bridging days and make-up workdays come only with the notice. Such a deadline is never
silent: `provisional_years()` tells callers to mark it 临时, a year that matters (this year, next year near
year end, a year real deadlines reach) keeps a `SystemAlert` open for the administrator, and entering the notice sends `signals.calendar_changed`, on which the
time-limit clocks recompute their due dates. Only a year before the package's first year with no row
raises `CalendarNotCovered` (history cannot be guessed).

Computations run on an in-memory `Calendar` snapshot (per-year sets of the days that differ from the plain
rule). The snapshot is rebuilt only when the override tables change, detected by one small aggregate query
per call, so a deadline costs no query per day. Batch callers may take `current_calendar()` once and call
its methods directly.
"""

from __future__ import annotations

import calendar
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
from django.utils.translation import gettext_lazy, gettext_noop

from jiedao.audit import services as audit
from jiedao.core.exceptions import ServiceError, ValidationFailed
from jiedao.core.i18n import Message, records_language
from jiedao.core.models import SystemAlert
from jiedao.core.scope import require
from jiedao.workcalendar import audit_events as events
from jiedao.workcalendar.choices import DaySource, YearStatus
from jiedao.workcalendar.models import CalendarDay, CalendarYear
from jiedao.workcalendar.signals import calendar_changed

logger = logging.getLogger(__name__)

CHINA_TZ = ZoneInfo("Asia/Shanghai")
CHANGE_PERMISSION = "workcalendar.change_calendarday"
MAX_DAYS_PER_CALL = 366
FIRST_EDITABLE_YEAR, LAST_EDITABLE_YEAR = 2000, 2100
PACKAGE_FIRST_YEAR = min(chinese_calendar.holidays).year
PACKAGE_LAST_YEAR = max(chinese_calendar.holidays).year
ONE_DAY = dt.timedelta(days=1)

Source = Literal["override", "package", "weekend", "provisional", "statutory"]
Basis = Literal["package", "published", "provisional"]
# How a year is counted: its basis, or "unentered" for a later year nobody declared (counted provisionally).
Counting = Literal["package", "published", "provisional", "unentered"]

# 全国年节及纪念日放假办法（2024年修订）第二条: the statutory holidays with a fixed Gregorian date. They are
# rest days whatever the year's notice says; the notice adds the lunar holidays, bridging and make-up days.
FIXED_STATUTORY_DAYS = (
    (1, 1, "New Year's Day"),
    (5, 1, "Labour Day"),
    (5, 2, "Labour Day"),
    (10, 1, "National Day"),
    (10, 2, "National Day"),
    (10, 3, "National Day"),
)

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


def unentered_message(year: int) -> str:
    return _(
        "%(year)d年的法定节假日安排尚未录入：涉及该年度的期限暂按周六、周日和元旦、劳动节、国庆节的法定假日计算，"
        "标为“临时”。请系统管理员在工作日历中录入国务院放假通知，录入后在办事项的期限会自动重新计算。"
    ) % {"year": year}


@dataclass(frozen=True)
class DayInfo:
    date: dt.date
    is_workday: bool
    reason: str
    source: Source

    @property
    def marked(self) -> bool:
        """A named day (statutory holiday, make-up workday or administrator override), not the plain rule."""
        return self.source in (DaySource.OVERRIDE, DaySource.PACKAGE, DaySource.STATUTORY)


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


def makeup_reason(holiday: str) -> str:
    """The reason kept on a make-up workday of `holiday` (春节调休上班), in the site's language."""
    with records_language():
        return _("%(name)s调休上班") % {"name": holiday}


def holiday_of_makeup(reason: str) -> str:
    """The holiday a make-up workday's reason names (the inverse of `makeup_reason`)."""
    return reason.removesuffix(makeup_reason(""))


def _package_reason(is_workday: bool, name: str) -> str:
    label = str(HOLIDAY_NAMES.get(name) or name)
    return makeup_reason(label) if is_workday else label


def _statutory_year(year: int) -> dict[dt.date, str]:
    """The fixed-date statutory holidays of a year the package does not know: date → English holiday key.
    Rest days in any such year, entered or not (a notice never makes them working days; an override can)."""
    return {dt.date(year, month, day): name for month, day, name in FIXED_STATUTORY_DAYS}


@dataclass(frozen=True)
class _YearData:
    counting: Counting
    # Days whose working status differs from "Monday–Friday work": the only days a loop needs to look up.
    flips: frozenset[dt.date]
    overrides: dict[dt.date, tuple[bool, str]]

    @property
    def confirmed(self) -> bool:
        return self.counting in ("package", "published")


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
    """A snapshot of the calendar data. Its methods never query the database."""

    def __init__(self, overrides: dict[dt.date, tuple[bool, str]], years: dict[int, str]):
        self._years = dict(years)
        self._overrides_by_year: dict[int, dict[dt.date, tuple[bool, str]]] = {}
        for day, entry in overrides.items():
            self._overrides_by_year.setdefault(day.year, {})[day] = entry
        self._data: dict[int, _YearData] = {}
        # Years whose alert `deadline_reaches` made sure of, with this snapshot.
        self.alerted: set[int] = set()

    # coverage ----------------------------------------------------------------------------------------

    def basis(self, year: int) -> Basis | None:
        """How `year` is covered: "package", "published", "provisional", or None when it is not."""
        if PACKAGE_FIRST_YEAR <= year <= PACKAGE_LAST_YEAR:
            return "package"
        status = self._years.get(year)
        return status if status in (YearStatus.PUBLISHED, YearStatus.PROVISIONAL) else None  # type: ignore[return-value]

    def counting(self, year: int) -> Counting | None:
        """How days of `year` are counted: its basis, "unentered" (a later year nobody declared, counted
        provisionally), or None for an earlier year nothing covers. Opens no alert."""
        basis = self.basis(year)
        if basis is not None:
            return basis
        return "unentered" if year > PACKAGE_LAST_YEAR else None

    def confirmed(self, year: int) -> bool:
        """Whether `year` follows the official holiday schedule (package data or an entered notice)."""
        return self.basis(year) in ("package", YearStatus.PUBLISHED)

    def provisional_years(self, start: dt.date, end: dt.date) -> list[int]:
        """The years of [start, end] counted provisionally: a deadline reaching them is 临时."""
        first, last = _as_date(start).year, _as_date(end).year
        return [year for year in range(min(first, last), max(first, last) + 1) if not self.confirmed(year)]

    def _year(self, year: int) -> _YearData:
        data = self._data.get(year)
        if data is not None:
            return data
        counting = self.counting(year)
        # No alert from here: a read (the calendar page of 2028, an API call) is no reason to remind the
        # administrator. Alerts come from `check_coverage` and from deadlines that reach a year.
        if counting is None:
            raise CalendarNotCovered(year)
        overrides = self._overrides_by_year.get(year, {})
        status: dict[dt.date, bool] = {}
        if counting == "package":
            status.update({day: workday for day, (workday, _name) in _package_year(year).items()})
        else:
            status.update(dict.fromkeys(_statutory_year(year), False))
        status.update({day: workday for day, (workday, _reason) in overrides.items()})
        flips = frozenset(day for day, workday in status.items() if workday != _plain_workday(day))
        data = _YearData(counting=counting, flips=flips, overrides=overrides)
        self._data[year] = data
        return data

    def base_is_workday(self, day: dt.date) -> bool:
        """Whether `day` is a working day leaving aside an administrator's override of that very day."""
        day = _as_date(day)
        return self._base_info(day, self._year(day.year)).is_workday

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
        return self._base_info(day, data)

    @staticmethod
    def _base_info(day: dt.date, data: _YearData) -> DayInfo:
        """The day as the year's counting has it without overrides: the package's named day, a fixed-date
        statutory holiday of a year counted provisionally, else the plain rule."""
        if data.counting == "package":
            named = _package_year(day.year).get(day)
            if named is not None:
                return DayInfo(day, named[0], _package_reason(*named), DaySource.PACKAGE.value)
        else:
            statutory = _statutory_year(day.year).get(day)
            if statutory is not None:
                return DayInfo(day, False, _package_reason(False, statutory), DaySource.STATUTORY.value)
        workday = _plain_workday(day)
        source = DaySource.WEEKEND.value if data.confirmed else DaySource.PROVISIONAL.value
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


def add_months(day: dt.date | dt.datetime, months: int):
    """The same day `months` calendar months later; the month's last day when it is shorter (1月31日 + 1 →
    2月28日). A datetime keeps its time."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


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


def provisional_years(start: dt.date, end: dt.date) -> list[int]:
    """Years of [start, end] not yet following the official schedule: a deadline there is 临时."""
    return current_calendar().provisional_years(start, end)


# --- alerts ------------------------------------------------------------------------------------------


def alert_key(year: int) -> str:
    return f"workcalendar.year.{year}"


def provisional_message(year: int, clocks: int) -> str:
    """The standing reminder while `year`, which deadlines reach, is counted provisionally."""
    return _(
        "%(year)d年的法定节假日安排尚未录入，%(n)d 项在办事项的办理期限落在该年度、暂按周六、周日和元旦、劳动节、"
        "国庆节的法定假日临时计算。请系统管理员在国务院放假通知发布后在工作日历中录入，录入后期限会自动重新计算。"
    ) % {"year": year, "n": clocks}


def open_year_alert(year: int, message: str | None = None) -> None:
    """Create, or reopen, the unresolved alert asking the administrator to enter `year`; an open one takes
    `message` when given (the count of provisional deadlines changes).

    Runs in a savepoint and never raises: the caller is about to report the missing year anyway.
    """
    key = alert_key(year)
    if message is None:
        message = unentered_message(year) if year > PACKAGE_LAST_YEAR else not_covered_message(year)
    message = message[:500]
    try:
        with transaction.atomic():
            current = SystemAlert.objects.filter(key=key, resolved_at__isnull=True).first()
            if current is None:
                SystemAlert.objects.update_or_create(
                    key=key, defaults={"message": message, "resolved_at": None}
                )
            elif current.message != message:
                SystemAlert.objects.filter(pk=current.pk).update(message=message)
    except DatabaseError:
        logger.exception("could not record the calendar alert for %s", year)


def deadlines_reach(start: dt.date, end: dt.date, calendar: Calendar | None = None) -> None:
    """Real deadlines were computed over [start, end]: remind the administrator of each year there whose
    notice is not entered. Once per calendar snapshot and year, with the snapshot the deadline was computed
    on (no query per deadline); the daily `check_coverage` keeps the count in the message current."""
    if calendar is None:
        snapshot = _snapshot
        calendar = snapshot[1] if snapshot is not None else current_calendar()
    for year in calendar.provisional_years(start, end):
        if year not in calendar.alerted:
            calendar.alerted.add(year)
            open_year_alert(year)


def _resolve_year_alert(year: int) -> None:
    SystemAlert.objects.filter(key=alert_key(year), resolved_at__isnull=True).update(
        resolved_at=timezone.now()
    )


def _provisional_deadline_years() -> dict[int, int]:
    """Year → number of open clocks whose provisional due date falls in it (one grouped query)."""
    from django.db.models import Count
    from django.db.models.functions import ExtractYear

    from jiedao.timelimits.selectors import provisional_open_clocks

    rows = (
        provisional_open_clocks()
        .annotate(due_year=ExtractYear("due_at", tzinfo=CHINA_TZ))
        .order_by()
        .values("due_year")
        .annotate(n=Count("id"))
        .values_list("due_year", "n")
    )
    return dict(rows)


def check_coverage(*, today: dt.date | None = None) -> list[int]:
    """Keep one alert open for each year that matters and does not follow the official schedule yet (not
    entered, or counted provisionally): the current year, the next one from `next_year_alert_days` before
    year end, and every year open deadlines reach provisionally. Resolve the others — years entered since,
    and years nothing needs (one browsed on the calendar page). Returns the years alerted."""
    from jiedao.parameters.services import get_parameter

    today = today or timezone.localdate(timezone=CHINA_TZ)
    lead_days = get_parameter("workcalendar.next_year_alert_days")
    reached = _provisional_deadline_years()
    wanted = {today.year, *reached}
    if lead_days and (dt.date(today.year, 12, 31) - today).days < lead_days:
        wanted.add(today.year + 1)
    calendar = current_calendar()
    alerted = sorted(year for year in wanted if not calendar.confirmed(year))
    for year in alerted:
        open_year_alert(year, provisional_message(year, reached[year]) if reached.get(year) else None)
    prefix = "workcalendar.year."
    for key in SystemAlert.objects.filter(key__startswith=prefix, resolved_at__isnull=True).values_list(
        "key", flat=True
    ):
        suffix = key[len(prefix) :]
        if suffix.isdigit() and int(suffix) not in alerted:
            _resolve_year_alert(int(suffix))
    return alerted


# --- administration ----------------------------------------------------------------------------------

DAY_FIELDS = ["date", "is_workday", "reason"]
YEAR_FIELDS = ["year", "status", "note"]
MAX_HOLIDAY_SPAN = 31
WEEKDAY_NAMES = (
    gettext_lazy("星期一"),
    gettext_lazy("星期二"),
    gettext_lazy("星期三"),
    gettext_lazy("星期四"),
    gettext_lazy("星期五"),
    gettext_lazy("星期六"),
    gettext_lazy("星期日"),
)


def weekday_name(day: dt.date) -> str:
    return str(WEEKDAY_NAMES[day.weekday()])


def date_with_weekday(day: dt.date) -> str:
    """`2026-12-08（星期二）`: a date as a page or a refusal on screen gives it, next to the date pickers'
    numbers. An SMS writes its dates with `sms_date` instead."""
    return f"{day:%Y-%m-%d}（{weekday_name(day)}）"


def sms_date(day: dt.date, *, weekday: bool = False) -> str:
    """A date as an SMS or a notice to the public gives it: always with its year, as Chinese offices write
    it (2027年1月6日), so a January date sent in December is not ambiguous; `weekday` adds （星期三）."""
    text = _("%(year)d年%(month)d月%(day)d日") % {"year": day.year, "month": day.month, "day": day.day}
    return f"{text}（{weekday_name(day)}）" if weekday else text


def sms_datetime(moment: dt.datetime) -> str:
    """A moment as an SMS gives it: its Beijing date as `sms_date` writes it, then the time (2026年12月9日14:30).
    Call it inside `records_language`, as the rest of the text."""
    local = moment.astimezone(CHINA_TZ)
    return f"{sms_date(local.date())}{local:%H:%M}"


def _check_year(year: int, field: str) -> None:
    if not FIRST_EDITABLE_YEAR <= year <= LAST_EDITABLE_YEAR:
        raise ValidationFailed(
            {
                field: [
                    _("年度应在 %(a)d 至 %(b)d 之间。") % {"a": FIRST_EDITABLE_YEAR, "b": LAST_EDITABLE_YEAR}
                ]
            }
        )


def _changed_on_commit(*, actor, first: dt.date, last: dt.date, reason: Message) -> None:
    """Tell the calendar's users (the time-limit clocks) once the change is committed."""

    def send() -> None:
        calendar_changed.send(sender=CalendarDay, first=first, last=last, actor=actor, reason=reason)

    transaction.on_commit(send)


def _workday_on_weekday_message(day: dt.date) -> str:
    return _("%(date)s 是%(weekday)s，本来就是工作日；调休上班日应为周六或周日。") % {
        "date": day.isoformat(),
        "weekday": weekday_name(day),
    }


def calendar_day_set(*, actor, date: dt.date, is_workday: bool, reason: str) -> CalendarDay:
    """Add or change the override for one day."""
    require(actor, CHANGE_PERMISSION, None)
    reason = (reason or "").strip()
    _check_year(date.year, "date")
    if not reason:
        raise ValidationFailed({"reason": [_("请填写原因，如“元旦”“春节调休上班”。")]})
    if len(reason) > 100:
        raise ValidationFailed({"reason": [_("原因不能超过 100 个字。")]})
    if is_workday and date.weekday() < 5 and not CalendarDay.objects.filter(date=date).exists():
        # A new "working day" on a plain weekday changes nothing: someone meant a make-up weekend day.
        # (Turning an existing rest-day override back into a working day is allowed: it undoes it.)
        try:
            already = current_calendar().base_is_workday(date)
        except CalendarNotCovered:
            already = True
        if already:
            raise ValidationFailed({"is_workday": [_workday_on_weekday_message(date)]})
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
        if before is None or before["is_workday"] != day.is_workday:
            _changed_on_commit(
                actor=actor,
                first=date,
                last=date,
                reason=Message(gettext_noop("工作日历调整 %(date)s"), date=date),
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
        _changed_on_commit(
            actor=actor,
            first=date,
            last=date,
            reason=Message(gettext_noop("删除工作日历调整 %(date)s"), date=date),
        )


def _refuse_package_year(year: int, field: str) -> None:
    if PACKAGE_FIRST_YEAR <= year <= PACKAGE_LAST_YEAR:
        raise ValidationFailed(
            {
                field: [
                    _("%(year)d年的法定节假日已由内置数据提供，无需设置；个别日期可添加调整日。")
                    % {"year": year}
                ]
            }
        )


def _save_year_row(*, actor, year: int, status: str, note: str) -> tuple[CalendarYear, bool]:
    """Write the year's row (caller holds the transaction); returns it and whether its status changed."""
    row = CalendarYear.objects.select_for_update().filter(year=year).first()
    before = audit.snapshot(row, YEAR_FIELDS) if row else None
    if row is None:
        row = CalendarYear(year=year)
    row.status, row.note, row.updated_by = status, note, actor
    row.save()
    if status == YearStatus.PUBLISHED:
        # Only the entered notice settles the year: "provisional" keeps the reminder while it matters.
        _resolve_year_alert(year)
    audit.record(
        events.CALENDAR_YEAR_SET,
        actor=actor,
        target=row,
        before=before,
        after=audit.snapshot(row, YEAR_FIELDS),
    )
    return row, before is None or before["status"] != status


def calendar_year_set(*, actor, year: int, status: str, note: str = "") -> CalendarYear:
    """Declare how a year the built-in data does not know is covered; "published" resolves the year's alert."""
    require(actor, CHANGE_PERMISSION, None)
    note = (note or "").strip()
    _check_year(year, "year")
    if status not in YearStatus.values:
        raise ValidationFailed({"status": [_("请选择年度状态。")]})
    _refuse_package_year(year, "year")
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
        row, changed = _save_year_row(actor=actor, year=year, status=status, note=note)
        if changed:
            _changed_on_commit(
                actor=actor,
                first=dt.date(year, 1, 1),
                last=dt.date(year, 12, 31),
                reason=Message(
                    gettext_noop("%(year)d年节假日安排状态改为“%(status)s”"),
                    year=year,
                    status=YearStatus(row.status).label,
                ),
            )
    return row


@dataclass(frozen=True)
class HolidayEntry:
    """One holiday of a State Council notice: its rest days first..last and its make-up workdays (调休上班)."""

    name: str
    first: dt.date | None = None
    last: dt.date | None = None
    workdays: tuple[dt.date, ...] = ()


@dataclass(frozen=True)
class YearEntryResult:
    year: int
    rest_days: int
    workdays: int
    removed: int
    status: str | None


def _in_notice_window(day: dt.date, year: int) -> bool:
    """A notice's dates lie in its year; the New Year holiday may start in the December before."""
    return day.year == year or (day.year == year - 1 and day.month == 12)


def _holiday_of(day: CalendarDay) -> str:
    """The holiday an override day is part of: its reason, or the holiday its make-up reason names."""
    return holiday_of_makeup(day.reason) if day.is_workday else day.reason


def _of_notice(rows: list[CalendarDay], year: int, names: set[str] = frozenset()) -> list[CalendarDay]:
    """Of the override days of `year`'s notice window, those that belong to `year`'s notice: every day of
    the year, and the December days before it that are part of a holiday resting in January of `year`
    (元旦 2026-12-31 to 2027-01-03 is the 2027 notice's, with its make-up days). Other December days —
    a local adjustment, the previous notice — belong to their own year. `names`: holidays to count as
    resting in January besides the stored ones (the notice being entered)."""
    january = {
        day.reason for day in rows if day.date.year == year and day.date.month == 1 and not day.is_workday
    } | set(names)
    return [day for day in rows if day.date.year == year or _holiday_of(day) in january]


def _notice_window(year: int):
    return CalendarDay.objects.filter(date__gte=dt.date(year - 1, 12, 1), date__lte=dt.date(year, 12, 31))


def notice_days(year: int) -> list[CalendarDay]:
    """The override days `year`'s notice entered, in date order: the year's own and those of its holidays
    that start in the December before (see `_of_notice`). What the year's form shows and a replacing
    entry replaces."""
    return _of_notice(list(_notice_window(year).order_by("date")), year)


def calendar_year_enter(
    *,
    actor,
    year: int,
    holidays: list[HolidayEntry],
    replace: bool = False,
    publish: bool = True,
    note: str = "",
) -> YearEntryResult:
    """Enter a year's State Council holiday notice in one go: each holiday's rest days as a range plus its
    make-up workdays. Every problem is reported at once, keyed ``"<index>.rest"``, ``"<index>.workdays"``,
    ``"<index>.name"`` (the entry's position) or ``"holidays"``; nothing is written then.

    `replace` first removes the year's other override days (a re-entered notice replaces the old one);
    `publish` marks the year 已录入 (published). One audit event (1704) lists the days before and after."""
    require(actor, CHANGE_PERMISSION, None)
    _check_year(year, "year")
    _refuse_package_year(year, "year")
    note = (note or "").strip()
    errors: dict[str, list[str]] = {}

    def error(key: str, message: str) -> None:
        errors.setdefault(key, []).append(message)

    def outside(day: dt.date) -> str:
        return _("%(date)s 不在%(year)d年内（元旦放假可从上一年12月开始）。") % {
            "date": day.isoformat(),
            "year": year,
        }

    rest: dict[dt.date, tuple[int, str]] = {}
    work: dict[dt.date, tuple[int, str]] = {}
    entries = [(i, entry, (entry.name or "").strip()) for i, entry in enumerate(holidays)]
    entries = [item for item in entries if item[1].first or item[1].last or item[1].workdays]
    if not entries:
        error("holidays", _("请至少填写一个节日的放假日期。"))
    for i, entry, name in entries:
        if not name:
            error(f"{i}.name", _("请填写节日名称。"))
        elif len(name) > 40:
            error(f"{i}.name", _("节日名称不能超过 40 个字。"))
        if not (entry.first and entry.last):
            error(f"{i}.rest", _("请填写放假的开始和结束日期。"))
            continue
        if entry.last < entry.first:
            error(f"{i}.rest", _("放假结束日期不能早于开始日期。"))
            continue
        if (entry.last - entry.first).days + 1 > MAX_HOLIDAY_SPAN:
            error(f"{i}.rest", _("放假区间超过 %(n)d 天，请检查日期。") % {"n": MAX_HOLIDAY_SPAN})
            continue
        wrong = [day for day in (entry.first, entry.last) if not _in_notice_window(day, year)]
        if wrong:
            error(f"{i}.rest", outside(wrong[0]))
            continue
        day = entry.first
        while day <= entry.last:
            if day in rest:
                other = rest[day][1]
                error(
                    f"{i}.rest",
                    _("“%(name)s”与“%(other)s”的放假日期重叠（%(date)s）。")
                    % {"name": name, "other": other, "date": day.isoformat()},
                )
                break
            rest[day] = (i, name)
            day += ONE_DAY
    for i, entry, name in entries:
        for day in entry.workdays:
            if not _in_notice_window(day, year):
                error(f"{i}.workdays", outside(day))
            elif day.weekday() < 5:
                error(
                    f"{i}.workdays",
                    _("%(date)s 是%(weekday)s，调休上班日应为周六或周日。")
                    % {"date": day.isoformat(), "weekday": weekday_name(day)},
                )
            elif day in work:
                error(f"{i}.workdays", _("%(date)s 重复填写。") % {"date": day.isoformat()})
            elif day in rest:
                error(
                    f"{i}.workdays",
                    _("%(date)s 在“%(name)s”的放假日期内，不能同时是调休上班日。")
                    % {"date": day.isoformat(), "name": rest[day][1]},
                )
            else:
                work[day] = (i, name)
    if len(note) > 500:
        error("note", _("说明不能超过 500 个字。"))
    if errors:
        raise ValidationFailed(errors)

    wanted = {day: (False, name) for day, (_i, name) in rest.items()}
    wanted.update({day: (True, makeup_reason(name)) for day, (_i, name) in work.items()})
    # The note, the reasons and the audit message are records: in the site's language.
    with transaction.atomic(), records_language():
        affected = list(CalendarDay.objects.select_for_update().filter(date__in=list(wanted)))
        if replace:
            # The notice's own days, also those it put in the December before (元旦 from 12-31): a
            # corrected notice that no longer has them takes them away.
            january = {name for day, (_i, name) in rest.items() if day.year == year and day.month == 1}
            window = list(_notice_window(year).select_for_update().order_by("date"))
            affected += _of_notice(window, year, january)
        old = {day.date: (day.is_workday, day.reason) for day in affected}
        CalendarDay.objects.filter(date__in=list(old)).delete()
        CalendarDay.objects.bulk_create(
            [
                CalendarDay(date=day, is_workday=workday, reason=reason[:100], updated_by=actor)
                for day, (workday, reason) in sorted(wanted.items())
            ]
        )
        status = None
        if publish:
            row, _changed = _save_year_row(
                actor=actor,
                year=year,
                status=YearStatus.PUBLISHED,
                note=note or _("已按国务院放假通知录入。"),
            )
            status = row.status
        removed = len(set(old) - set(wanted))

        def listing(days: dict[dt.date, tuple[bool, str]]) -> dict[str, list]:
            return {day.isoformat(): [workday, reason] for day, (workday, reason) in sorted(days.items())}

        audit.record(
            events.CALENDAR_YEAR_ENTERED,
            actor=actor,
            message=_("录入%(year)d年放假安排：放假 %(rest)d 天，调休上班 %(work)d 天。")
            % {"year": year, "rest": len(rest), "work": len(work)},
            before={"days": listing(old)},
            after={"days": listing(wanted), "replace": replace, "status": status},
        )
        changed_days = [
            day for day in set(old) | set(wanted) if old.get(day, (None,))[0] != wanted.get(day, (None,))[0]
        ]
        first = min([dt.date(year, 1, 1), *changed_days]) if publish else min(changed_days, default=None)
        last = max([dt.date(year, 12, 31), *changed_days]) if publish else max(changed_days, default=None)
        if first is not None and last is not None:
            _changed_on_commit(
                actor=actor,
                first=first,
                last=last,
                reason=Message(gettext_noop("录入%(year)d年放假安排"), year=year),
            )
    return YearEntryResult(year=year, rest_days=len(rest), workdays=len(work), removed=removed, status=status)
