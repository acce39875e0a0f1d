"""办件统计: the service efficiency figures a 政务服务中心 reports every month, per service item, implementing
body, window and month of a date range, over the applications in the reader's scope.

What each figure counts, by the day (Beijing time) of its own event within the range:

- 收件量: applications submitted (online or registered at a window);
- 受理量: accepted (deemed acceptance included); 不予受理: refused at acceptance;
- 补正次数: 一次性告知 requests sent (an application asked twice counts twice);
- 办结量: concluded (准予 or 不予准予); 按期办结 / 超期办结 as the time-limit clock judged when it stopped
  (`Clock.overdue_at_stop`, kept on the application as `concluded_overdue`); 即办件 among them;
- 平均办理用时: working days from acceptance to conclusion on the work calendar, the paused working days the
  clock kept (补正, 中止; `concluded_paused_days`) left out — the clock's own way of counting,
  `(accepted day, concluded day]`;
- 满意度: ratings given in the range that are 满意 or 非常满意, out of all ratings given in the range;
- 当前在办 (not bound to the range: as of now) with the time-limit colours of those being handled.

按窗口 counts a window registration under its window and the applications that came in online in a row of
their own (ONLINE), not under the window of the clerk who accepted them.

Every figure is counted by the database (`Count(filter=Q(...))`), grouped by item, org, window and month at
once: a constant number of queries however many applications there are. The working-day average needs the
calendar, which the database does not hold; it is summed as Σ W(concluded day) − Σ W(accepted day) − Σ paused
days, where W is a running count of working days over the few hundred distinct days involved (one pass of
the calendar in memory), so no row is read one by one.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import xlsxwriter
from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Cast, TruncDate, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from jiedao.applications.audit_events import RATINGS_EXPORTED, STATISTICS_EXPORTED
from jiedao.applications.choices import (
    CONCLUDED_STATUSES,
    OPEN_STATUSES,
    ApplicationStatus,
    Channel,
    EventAction,
    RatingLevel,
)
from jiedao.applications.models import Application, ApplicationEvent, ServiceWindow
from jiedao.audit import services as audit
from jiedao.catalog.choices import ItemKind
from jiedao.catalog.models import ServiceItem
from jiedao.core.exceptions import ValidationFailed
from jiedao.core.i18n import records_language
from jiedao.orgs.models import OrgUnit
from jiedao.spreadsheets.exporters import SheetWriter, workbook_options
from jiedao.timelimits.choices import ClockStatus
from jiedao.timelimits.models import Clock
from jiedao.workcalendar import services as workcalendar
from jiedao.workcalendar.services import CHINA_TZ

VIEW_PERMISSION = "applications.view_application"
GROUPS = ("item", "org", "window", "month")
MAX_DAYS = 366
MIN_YEAR, MAX_YEAR = 1900, 9998
COUNTS = (
    "received",
    "accepted",
    "rejected",
    "corrections",
    "concluded",
    "on_time",
    "overdue",
    "instant",
    "open",
    "green",
    "yellow",
    "red",
    "ratings",
    "satisfied",
)
# kept per row while counting, turned into `average_days`
_SUMS = ("timed", "stop_days", "start_days", "paused_days")


# --- the date range ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # the last day counted

    @property
    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """[start 00:00, the day after end 00:00) in Beijing time."""
        first = dt.datetime.combine(self.start, dt.time.min, tzinfo=CHINA_TZ)
        after = dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min, tzinfo=CHINA_TZ)
        return first, after

    def months(self) -> list[dt.date]:
        month, months = self.start.replace(day=1), []
        while month <= self.end:
            months.append(month)
            month = workcalendar.add_months(month, 1)
        return months


def _month_end(first: dt.date) -> dt.date:
    return workcalendar.add_months(first, 1) - dt.timedelta(days=1)


def quick_periods(today: dt.date | None = None) -> list[tuple[str, str, Period]]:
    """本月, 上月, 本季度, 本年: (key, label, period)."""
    today = today or timezone.localdate()
    this_month = today.replace(day=1)
    last_month = workcalendar.add_months(this_month, -1)
    quarter = today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)
    return [
        ("month", _("本月"), Period(this_month, _month_end(this_month))),
        ("last_month", _("上月"), Period(last_month, _month_end(last_month))),
        ("quarter", _("本季度"), Period(quarter, _month_end(workcalendar.add_months(quarter, 2)))),
        ("year", _("本年"), Period(today.replace(month=1, day=1), today.replace(month=12, day=31))),
    ]


def parse_period(params: Mapping[str, str], *, today: dt.date | None = None) -> Period:
    """The range asked for by `start` and `end` (YYYY-MM-DD): this month when neither is given; the month of
    the one given when only one is (`start=2025-01-01` alone is January 2025, not January 2025 to today).

    Raises ValidationFailed naming the field: a date that is not one, a start after the end, a range longer
    than 366 days (a year's report, leap year included)."""
    errors: dict[str, list[str]] = {}
    days: dict[str, dt.date | None] = {}
    for name in ("start", "end"):
        raw = (params.get(name) or "").strip()
        if not raw:
            days[name] = None
            continue
        try:
            days[name] = dt.date.fromisoformat(raw)
        except ValueError:
            days[name] = None
        # the day after the range and its months must be dates too (9999-12-31 has no next day)
        if days[name] is None or not MIN_YEAR <= days[name].year <= MAX_YEAR:
            errors[name] = [_("请填写有效的日期，格式如 2026-03-01。")]
    if errors:
        raise ValidationFailed(errors)
    start, end = days["start"], days["end"]
    if start is None and end is None:
        return quick_periods(today)[0][2]
    if end is None:
        end = _month_end(start.replace(day=1))
    if start is None:
        start = end.replace(day=1)
    if start > end:
        raise ValidationFailed({"end": [_("结束日期不能早于开始日期。")]})
    if (end - start).days + 1 > MAX_DAYS:
        raise ValidationFailed({"end": [_("统计区间最长 %(n)d 天，请缩短后重试。") % {"n": MAX_DAYS}]})
    return Period(start, end)


def parse_group(params: Mapping[str, str]) -> str:
    group = (params.get("group") or "item").strip()
    if group not in GROUPS:
        raise ValidationFailed(
            {
                "group": [
                    _("%(name)s 的取值无效，可选：%(values)s。")
                    % {"name": "group", "values": "、".join(GROUPS)}
                ]
            }
        )
    return group


def parse_request(params: Mapping[str, str]) -> tuple[str, Period]:
    """The API's `group` and range together: a bad group and a bad range are reported at once, each under
    its own field."""
    errors: dict[str, list[str]] = {}
    group, period = "", None
    try:
        group = parse_group(params)
    except ValidationFailed as error:
        errors.update(error.errors)
    try:
        period = parse_period(params)
    except ValidationFailed as error:
        errors.update(error.errors)
    if errors:
        raise ValidationFailed(errors)
    return group, period


# --- counting ------------------------------------------------------------------------------------------


def _clock_of_application():
    content_type = ContentType.objects.get_for_model(Application)
    return Clock.objects.filter(content_type=content_type, object_id=Cast(OuterRef("pk"), CharField()))


def _month(value) -> dt.date:
    """A TruncMonth value (a date, or a datetime at the month's first moment) as the month's first day."""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value, CHINA_TZ) if timezone.is_aware(value) else value
        value = value.date()
    return value.replace(day=1)


# Beijing time has been UTC+8 all year since this moment (the end of the last summer time, zoneinfo).
FIXED_OFFSET_SINCE = "1991-09-14 17:00:00"


class _SQLiteLocal:
    """On SQLite, Django reads each value's day or month in a time zone through a Python function (~30 µs
    a row: 16 s for a district's year); a moment from 1991-09-14 17:00 UTC on is read by adding 8 hours
    in SQL instead, which gives the same day for every such moment. Earlier ones keep Django's reading.
    Other databases keep theirs (PostgreSQL's AT TIME ZONE is already native)."""

    fast_format: str

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = self.as_sql(compiler, connection, **extra_context)
        column, column_params = compiler.compile(self.lhs)
        return (
            f"CASE WHEN {column} >= %s THEN strftime(%s, {column}, '+8 hours') ELSE {sql} END",
            (FIXED_OFFSET_SINCE, *column_params, self.fast_format, *column_params, *params),
        )


class LocalMonth(_SQLiteLocal, TruncMonth):
    """The first moment of the month of a moment in Beijing time (TruncMonth)."""

    fast_format = "%Y-%m-01 00:00:00"  # what Django's function answers for a month

    def __init__(self, expression: str) -> None:
        super().__init__(expression, tzinfo=CHINA_TZ)


class LocalDate(_SQLiteLocal, TruncDate):
    """The day of a moment in Beijing time (TruncDate)."""

    fast_format = "%Y-%m-%d"

    def __init__(self, expression: str) -> None:
        super().__init__(expression, tzinfo=CHINA_TZ)


# `channel` as well as the window: an application that came in online is counted under no window (see
# `window_key`), though it records the window of the clerk who accepted it.
KEYS = ("item_id", "org_id", "window_id", "channel")
# The 按窗口 row of applications submitted online: its key in the table and the API.
ONLINE = "online"


def window_key(window_id: int | None, channel: str) -> int | str | None:
    """The 按窗口 row an application is counted in: its window when it was registered at one; the row of
    online applications when it came in online, even once a clerk at a window accepted it (the window it
    records then is the accepting clerk's, and counting it there read as if the applicant had come in);
    None (未记录窗口) when a window registration names none."""
    return ONLINE if channel == Channel.ONLINE else window_id


def _grouped(queryset: QuerySet, month_of: str, *extra, **measures) -> list[dict]:
    return list(
        queryset.values(*KEYS, month=LocalMonth(month_of), **dict(extra)).annotate(**measures).order_by()
    )


def _counted(applications: QuerySet, period: Period) -> tuple[list[tuple[dict, dict]], dict[dt.date, int]]:
    """(keys, measures) of every group the queries return, and the working-day index of the days named."""
    first, after = period.bounds

    def in_range(field: str) -> Q:
        return Q(**{f"{field}__gte": first, f"{field}__lt": after})

    concluded = Q(status__in=CONCLUDED_STATUSES)
    clock = _clock_of_application()
    found: list[tuple[dict, dict]] = []

    def add(rows, *, day_field: str | None = None) -> None:
        for row in rows:
            keys = {key: row.pop(key) for key in KEYS}
            keys["month"] = _month(row.pop("month")) if "month" in row else None
            if day_field:
                row[day_field] = row.pop("day")
            found.append((keys, row))

    add(_grouped(applications.filter(in_range("submitted_at")), "submitted_at", received=Count("pk")))
    add(_grouped(applications.filter(in_range("accepted_at")), "accepted_at", accepted=Count("pk")))
    ended = applications.filter(in_range("concluded_at"))
    add(
        _grouped(
            ended,
            "concluded_at",
            ("day", LocalDate("concluded_at")),
            rejected=Count("pk", filter=Q(status=ApplicationStatus.REJECTED)),
            concluded=Count("pk", filter=concluded),
            overdue=Count("pk", filter=concluded & Q(concluded_overdue=True)),
            instant=Count("pk", filter=concluded & Q(item__kind=ItemKind.INSTANT)),
            timed=Count("pk", filter=concluded & Q(accepted_at__isnull=False)),
        ),
        day_field="stop_day",
    )
    timed = applications.filter(concluded, in_range("concluded_at"), accepted_at__isnull=False)
    add(
        _grouped(
            timed,
            "concluded_at",
            ("day", LocalDate("accepted_at")),
            started=Count("pk"),
            paused_days=Sum("concluded_paused_days"),
        ),
        day_field="start_day",
    )
    corrections = (
        ApplicationEvent.objects.filter(
            in_range("at"),
            # EXISTS, not `application_id IN (the scope's ids)`: SQLite read the scope's list first and
            # every event of each (seconds for a district); this way the range on (action, at) drives.
            Exists(applications.filter(pk=OuterRef("application_id"))),
            action=EventAction.CORRECTION_REQUESTED,
        )
        .values(
            item_id=F("application__item_id"),
            org_id=F("application__org_id"),
            window_id=F("application__window_id"),
            channel=F("application__channel"),
            month=LocalMonth("at"),
        )
        .annotate(corrections=Count("pk"))
        .order_by()
    )
    add(list(corrections))
    rated = applications.filter(in_range("rating__created_at"))
    add(
        _grouped(
            rated,
            "rating__created_at",
            ratings=Count("pk"),
            satisfied=Count("pk", filter=Q(rating__level__gte=RatingLevel.SATISFIED)),
        )
    )
    # One arm per open status, in one statement (UNION ALL): SQLite's planner, which knows no more than
    # "9 statuses", takes `status IN (4 of them)` for half the table and reads every application instead of
    # the status index, though the open ones are a few per cent. Each application's clock is looked up once
    # and grouped by, not once per colour.
    colour = Subquery(clock.values("status")[:1])
    arms = [
        applications.filter(status=status)
        .values(*KEYS, clock_status=colour)
        .annotate(open=Count("pk"))
        .order_by()
        for status in OPEN_STATUSES
    ]
    colours = {ClockStatus.GREEN: "green", ClockStatus.YELLOW: "yellow", ClockStatus.RED: "red"}
    for row in arms[0].union(*arms[1:], all=True):
        name = colours.get(row.pop("clock_status"))
        if name:
            row[name] = row["open"]
        add([row])
    days = sorted(
        {m["stop_day"] for _k, m in found if m.get("stop_day")}
        | {m["start_day"] for _k, m in found if m.get("start_day")}
    )
    return found, _working_day_index(days)


def _working_day_index(days: list[dt.date]) -> dict[dt.date, int]:
    """W(day): working days in (first day, day], so W(b) − W(a) is the clock's count between a and b."""
    calendar = workcalendar.current_calendar()
    index, running, previous = {}, 0, None
    for day in days:
        if previous is not None:
            running += calendar.working_days_between(previous, day)
        index[day] = running
        previous = day
    return index


def _blank() -> dict:
    return dict.fromkeys(COUNTS + _SUMS, 0)


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _finish(row: dict) -> dict:
    """The rates of a row of counts: 按期办结率, 即办件占比, 满意度 (percent, one decimal, None when nothing to
    divide) and 平均办理用时 (working days, one decimal)."""
    row["on_time"] = row["concluded"] - row["overdue"]
    row["on_time_rate"] = _percent(row["on_time"], row["concluded"])
    row["instant_share"] = _percent(row["instant"], row["concluded"])
    row["satisfaction"] = _percent(row["satisfied"], row["ratings"])
    timed = row.pop("timed")
    elapsed = row.pop("stop_days") - row.pop("start_days") - row.pop("paused_days")
    row["average_days"] = (
        (Decimal(max(elapsed, 0)) / timed).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP) if timed else None
    )
    return row


@dataclass
class Statistics:
    period: Period
    tables: dict[str, list[dict]]  # group → rows (`key`, `name`, the counts and rates)
    total: dict


def service_statistics(applications: QuerySet, period: Period) -> Statistics:
    """办件统计 of `applications` (already scoped) over `period`, per item, org, window and month, with the
    total. Rows of items, orgs and windows with nothing to count are left out; every month of the range is
    listed (the chart's axis). 当前在办 and its colours are not per month (they are as of now): a month row
    has None there."""
    found, working_day = _counted(applications, period)
    tables: dict[str, dict] = {group: defaultdict(_blank) for group in GROUPS}
    for month in period.months():
        tables["month"][month] = _blank()  # every month of the range has a row, for the chart
    total = _blank()
    for keys, measures in found:
        if "stop_day" in measures:
            measures["stop_days"] = measures["timed"] * working_day.get(measures.pop("stop_day"), 0)
        if "start_day" in measures:
            measures["start_days"] = measures.pop("started") * working_day.get(measures.pop("start_day"), 0)
        measures = {name: value or 0 for name, value in measures.items()}
        targets = [
            tables["item"][keys["item_id"]],
            tables["org"][keys["org_id"]],
            tables["window"][window_key(keys["window_id"], keys["channel"])],
            total,
        ]
        if keys["month"] is not None and keys["month"] in tables["month"]:
            targets.append(tables["month"][keys["month"]])
        for target in targets:
            for name, value in measures.items():
                target[name] += value
    names = _names(tables)
    result = {}
    for group, rows in tables.items():
        listed = []
        for key, row in rows.items():
            row = _finish(row)
            if group == "month":
                for name in ("open", "green", "yellow", "red"):
                    row[name] = None
                row.update(
                    key=key.strftime("%Y-%m"),
                    name=_("%(year)d年%(month)d月") % {"year": key.year, "month": key.month},
                )
            elif group == "window" and key == ONLINE:
                row.update(key=key, name=_("网上申请（未经窗口）"))
            else:
                row.update(key=key, name=names[group].get(key) or _("未记录窗口"))
            listed.append(row)
        if group != "month":
            listed.sort(key=lambda row: (-row["received"], -row["concluded"], row["name"]))
        result[group] = listed
    return Statistics(period=period, tables=result, total=_finish(total))


def _names(tables: dict[str, dict]) -> dict[str, dict]:
    def ids(group: str) -> list:
        return [key for key in tables[group] if isinstance(key, int)]

    windows = ServiceWindow.objects.filter(pk__in=ids("window")).values_list(
        "pk", "number", "name", "org__name"
    )
    return {
        "item": dict(ServiceItem.objects.filter(pk__in=ids("item")).values_list("pk", "name")),
        "org": dict(OrgUnit.objects.filter(pk__in=ids("org")).values_list("pk", "name")),
        "window": {pk: f"{number} {name}（{org}）" for pk, number, name, org in windows},
    }


def statistics_for(user, params: Mapping[str, str]) -> Statistics:
    """The statistics the page, the export and the API show: the applications in the user's scope of
    `applications.view_application`, over the range `params` asks for (ValidationFailed when it is not
    valid)."""
    period = parse_period(params)
    return service_statistics(Application.objects.visible_to(user, VIEW_PERMISSION), period)


# --- the export ----------------------------------------------------------------------------------------


def column_labels() -> list[tuple[str, str]]:
    """(field, heading) of each figure, in the order the page, the export and the API describe them."""
    return [
        ("received", _("收件量")),
        ("accepted", _("受理量")),
        ("rejected", _("不予受理")),
        ("corrections", _("补正次数")),
        ("concluded", _("办结量")),
        ("on_time", _("按期办结")),
        ("overdue", _("超期办结")),
        ("on_time_rate", _("按期办结率")),
        ("instant_share", _("即办件占比")),
        ("average_days", _("平均办理用时（工作日）")),
        ("open", _("当前在办")),
        ("green", _("其中正常（绿）")),
        ("yellow", _("其中预警（黄）")),
        ("red", _("其中超期（红）")),
        ("satisfaction", _("满意度")),
    ]


PERCENT_FIELDS = ("on_time_rate", "instant_share", "satisfaction")


def display(row: dict, field: str) -> str:
    """A figure as the page and the file show it: a rate with %, "—" where there is nothing to count."""
    value = row.get(field)
    if value is None:
        return "—"
    if field in PERCENT_FIELDS:
        return f"{value}%"
    return str(value)


def group_labels() -> dict[str, str]:
    return {"item": _("按事项"), "org": _("按办理机构"), "window": _("按窗口"), "month": _("按月份")}


def group_headings() -> dict[str, str]:
    return {"item": _("事项"), "org": _("办理机构"), "window": _("窗口"), "month": _("月份")}


@dataclass(frozen=True)
class Export:
    path: str  # a temporary file; the caller streams and removes it
    filename: str


def _cell(row: dict, field: str):
    value = row.get(field)
    if value is None:
        return "—"
    if field in PERCENT_FIELDS:
        return f"{value}%"
    return float(value) if isinstance(value, Decimal) else value


def export_statistics(*, user, params: Mapping[str, str]) -> Export:
    """Write the page's four tables (with the total row) to a temporary .xlsx, one sheet per table, and
    audit the export with its range. Aggregates only: no applicant's data leaves with it."""
    statistics = statistics_for(user, params)
    period = statistics.period
    columns = column_labels()
    now = timezone.now()
    title = _("%(org)s办件统计　统计区间：%(start)s 至 %(end)s　导出时间：%(time)s") % {
        "org": user.org.name if user.org_id else "",
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "time": timezone.localtime(now).strftime("%Y-%m-%d %H:%M"),
    }
    descriptor, path = tempfile.mkstemp(suffix=".xlsx", prefix="applications-statistics-")
    os.close(descriptor)
    headings, labels = group_headings(), group_labels()
    try:
        workbook = xlsxwriter.Workbook(path, workbook_options())
        try:
            for group in GROUPS:
                writer = SheetWriter(
                    workbook,
                    [headings[group], *(label for _field, label in columns)],
                    sheet_name=labels[group],
                    widths=(28, *([12] * len(columns))),
                    note=title,
                )
                for row in [*statistics.tables[group], {**statistics.total, "name": _("合计")}]:
                    writer.write_row([row["name"], *(_cell(row, field) for field, _label in columns)])
                writer.finish()
        finally:
            workbook.close()
        with records_language():
            audit.record(
                STATISTICS_EXPORTED,
                actor=user,
                org=user.org_id,
                message=_("导出办件统计；统计区间：%(start)s 至 %(end)s")
                % {"start": period.start.isoformat(), "end": period.end.isoformat()},
                after={"period_start": period.start.isoformat(), "period_end": period.end.isoformat()},
            )
    except BaseException:
        os.unlink(path)
        raise
    return Export(
        path=path,
        filename=f"{_('办件统计')}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.xlsx",
    )


# --- 好差评统计 ----------------------------------------------------------------------------------------

RATING_PERMISSION = "applications.view_rating"


@dataclass
class RatingStatistics:
    period: Period
    tables: dict[str, list[dict]]  # selectors.RATING_TABLES's names → rows


def rating_statistics_for(user, params: Mapping[str, str]) -> RatingStatistics:
    """好差评统计 of the ratings given in the range `params` asks for (this month by default, as 办件统计),
    over the applications in the user's scope of `applications.view_rating` (ValidationFailed when the
    range is not valid)."""
    from jiedao.applications.selectors import rating_tables

    period = parse_period(params)
    applications = Application.objects.visible_to(user, RATING_PERMISSION)
    return RatingStatistics(period=period, tables=rating_tables(applications, period.bounds))


def rating_table_labels() -> dict[str, str]:
    return {
        "by_item": _("按事项"),
        "by_window": _("按窗口"),
        "by_staff": _("按工作人员（被评价人员）"),
        "by_org": _("按实施主体"),
        "by_channel": _("按评价渠道"),
    }


def rating_row_name(table: str, row: dict) -> str:
    """The name a row of a 好差评统计 table goes by, on the page and in the file."""
    if table == "by_item":
        return row["item__name"] or ""
    if table == "by_window":
        if row["window"] == ONLINE:
            return _("网上申请（未经窗口）")
        if not row["window"]:
            return _("未记录窗口")
        return f"{row['window__number']} {row['window__name']}（{row['window__org__name']}）"
    if table == "by_staff":
        return row["rating__staff__full_name"] or row["rating__staff__username"] or _("系统")
    if table == "by_org":
        return row["org__name"] or ""
    return str(row["channel_label"])


def export_ratings(*, user, params: Mapping[str, str]) -> Export:
    """Write the 好差评统计 tables of the range to a temporary .xlsx, one sheet per table with its total, and
    audit the export with its range. Counts per item, window, staff member rated, body and channel only:
    no applicant, no comment leaves with it."""
    figures = rating_statistics_for(user, params)
    period = figures.period
    now = timezone.now()
    title = _("%(org)s好差评统计　评价时间：%(start)s 至 %(end)s　导出时间：%(time)s") % {
        "org": user.org.name if user.org_id else "",
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "time": timezone.localtime(now).strftime("%Y-%m-%d %H:%M"),
    }
    headings = [_("评价数"), _("满意及以上"), _("差评"), _("平均分（5 分制）")]
    names = {
        "by_item": _("事项"),
        "by_window": _("窗口"),
        "by_staff": _("工作人员"),
        "by_org": _("单位"),
        "by_channel": _("评价渠道"),
    }
    descriptor, path = tempfile.mkstemp(suffix=".xlsx", prefix="applications-ratings-")
    os.close(descriptor)
    try:
        workbook = xlsxwriter.Workbook(path, workbook_options())
        try:
            for table, label in rating_table_labels().items():
                writer = SheetWriter(
                    workbook,
                    [names[table], *headings],
                    sheet_name=label,
                    widths=(32, 10, 12, 10, 16),
                    note=title,
                )
                rows = figures.tables[table]
                for row in rows:
                    writer.write_row(
                        [
                            rating_row_name(table, row),
                            row["total"],
                            row["good"],
                            row["bad"],
                            round(row["score"], 2),
                        ]
                    )
                total = sum(row["total"] for row in rows)
                level_sum = sum(row["score"] * row["total"] for row in rows)
                writer.write_row(
                    [
                        _("合计"),
                        total,
                        sum(row["good"] for row in rows),
                        sum(row["bad"] for row in rows),
                        round(level_sum / total, 2) if total else "—",
                    ]
                )
                writer.finish()
        finally:
            workbook.close()
        with records_language():
            audit.record(
                RATINGS_EXPORTED,
                actor=user,
                org=user.org_id,
                message=_("导出好差评统计；评价时间：%(start)s 至 %(end)s")
                % {"start": period.start.isoformat(), "end": period.end.isoformat()},
                after={"period_start": period.start.isoformat(), "period_end": period.end.isoformat()},
            )
    except BaseException:
        os.unlink(path)
        raise
    return Export(path=path, filename=f"{_('好差评统计')}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.xlsx")
