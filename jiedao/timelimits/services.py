"""One time-limit clock for every timed thing: start, pause, resume, extend, stop, and the periodic sweep.

Deadlines
---------
* working days: due at the end (23:59:59.999999 Beijing time) of the n-th working day after the start date;
  yellow at the end of the floor(n × ratio)-th working day (at the start itself when that is 0);
* calendar days: the same with calendar arithmetic; the rolling rule moves the due date forward to the next
  working day when it falls on a rest day (民法典第二百零三条);
* hours: due = start + n hours, yellow = start + n × ratio hours.

The ratio comes from the kind's `ClockPolicy` (default 0.80) when the clock starts and is kept on the clock:
changing a policy affects clocks started afterwards.

Pausing and extending
---------------------
Paused time does not count: resuming adds the paused span in the clock's own units (working days in
(pause date, resume date], calendar days, or the exact time for hours) to both the due and the yellow point.
An extension of n units also moves both points by n units, so the warning keeps the same lead before the
deadline. Both are kept as totals on the clock and the points are recomputed from the start, which keeps the
rolling rule exact.

Status is evaluated at the moment of each event (`started_at`, or `at` for pause/resume/extend/stop, which
default to now); afterwards the periodic sweep keeps it current.

Calendar changes
----------------
A deadline reaching a year whose State Council notice is not entered yet is computed provisionally (see
`jiedao.workcalendar.services`) and flagged `due_provisional`. When the administrator changes the calendar,
`clocks_recompute` (a background task started by `workcalendar.signals.calendar_changed`) recomputes every
*open* clock the changed days can reach, in batches of short transactions: due and yellow points, the
working days of past pauses, the provisional flag, and the colour at that moment (a red clock whose due
date moved past today is green or yellow again). Each changed clock gets a ``recalculated`` event (old → new
due date), the run one audit event (1806); apps keeping a copy of the due date hear
`clock_deadlines_changed` in the same transaction. Stopped clocks keep their due date and
`overdue_at_stop`: they record the deadline that applied when the matter was concluded.

Permissions: these services are building blocks called by other apps' services, which check their own
permissions; `actor` is None for the scheduler and other system actions.
"""

from __future__ import annotations

import datetime as dt
from array import array
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Q, Value
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from jiedao.audit import services as audit
from jiedao.core.exceptions import ServiceError, ValidationFailed
from jiedao.core.i18n import Message, Text, for_record, records_language, shown
from jiedao.core.scope import require
from jiedao.timelimits import audit_events as events
from jiedao.timelimits.choices import OPEN_STATUSES, ClockEventKind, ClockStatus
from jiedao.timelimits.models import DEFAULT_YELLOW_RATIO, Clock, ClockEvent, ClockPolicy
from jiedao.timelimits.registry import KINDS
from jiedao.timelimits.signals import clock_deadlines_changed, clock_status_changed
from jiedao.workcalendar import services as workcalendar
from jiedao.workcalendar.choices import CountingRule
from jiedao.workcalendar.services import CHINA_TZ

MAX_LIMIT = {
    CountingRule.WORKING_DAYS: 3660,
    CountingRule.CALENDAR_DAYS: 3660,
    CountingRule.CALENDAR_DAYS_ROLLING: 3660,
    CountingRule.HOURS: 24 * 3660,
}
CLOCK_FIELDS = [
    "kind",
    "rule",
    "limit",
    "yellow_ratio",
    "started_at",
    "due_at",
    "yellow_at",
    "paused_at",
    "stopped_at",
    "extended_units",
    "paused_days",
    "paused_time",
    "due_provisional",
    "status",
]
SYSTEM_ACTOR_NAME = "system"
# Rules whose deadline depends on the working-day calendar.
CALENDAR_RULES = (CountingRule.WORKING_DAYS, CountingRule.CALENDAR_DAYS_ROLLING)
RECOMPUTE_BATCH = 1000


# --- computing deadlines -----------------------------------------------------------------------------


def end_of_day(day: dt.date) -> dt.datetime:
    """23:59:59.999999 of `day`, Beijing time."""
    return dt.datetime.combine(day, dt.time.max, tzinfo=CHINA_TZ)


def local_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(CHINA_TZ).date()


def yellow_ratio_for(kind: str) -> Decimal:
    """The yellow point of `kind`: its policy, else the registered default, else 80%."""
    stored = ClockPolicy.objects.filter(kind=kind).values_list("yellow_ratio", flat=True).first()
    if stored is not None:
        return stored
    registered = KINDS.get(kind)
    return registered.default_yellow_ratio if registered else DEFAULT_YELLOW_RATIO


def _yellow_units(limit: int, ratio: Decimal) -> int:
    return int((Decimal(limit) * ratio).to_integral_value(rounding=ROUND_FLOOR))


def _deadline_points(
    calendar,
    *,
    rule: str,
    started_at: dt.datetime,
    due_units: int,
    yellow_units: int,
) -> tuple[dt.datetime, dt.datetime, bool]:
    """(due_at, yellow_at, provisional) for the day rules, from the total units of each point."""
    start = local_date(started_at)
    if rule == CountingRule.WORKING_DAYS:
        due_day = calendar.add_working_days(start, due_units)
        yellow = end_of_day(calendar.add_working_days(start, yellow_units)) if yellow_units else started_at
        return end_of_day(due_day), yellow, bool(calendar.provisional_years(start, due_day))
    if rule == CountingRule.CALENDAR_DAYS_ROLLING:
        due_day = calendar.add_calendar_days_rolling(start, due_units)
        provisional = bool(calendar.provisional_years(start, due_day))
    elif rule == CountingRule.CALENDAR_DAYS:
        due_day, provisional = start + dt.timedelta(days=due_units), False
    else:
        raise ValidationFailed({"rule": [_("未知的时限计算规则。")]})
    due = end_of_day(due_day)
    yellow = end_of_day(start + dt.timedelta(days=yellow_units)) if yellow_units else started_at
    return due, min(yellow, due), provisional


def compute_deadlines(
    *,
    rule: str,
    started_at: dt.datetime,
    limit: int,
    ratio: Decimal,
    added_units: int = 0,
    paused_days: int = 0,
    paused_time: dt.timedelta = dt.timedelta(0),
) -> tuple[dt.datetime, dt.datetime, bool]:
    """(due_at, yellow_at, provisional) of a clock. `added_units` are extensions; paused time is in days (day
    rules) or exact time (hours). `provisional` when the count reaches a year whose holiday notice is not
    entered yet (the points may move when it is)."""
    if rule == CountingRule.HOURS:
        yellow_seconds = int((Decimal(limit) * 3600 * ratio).to_integral_value(rounding=ROUND_FLOOR))
        shift = dt.timedelta(hours=added_units) + paused_time
        return (
            started_at + dt.timedelta(hours=limit) + shift,
            started_at + dt.timedelta(seconds=yellow_seconds) + shift,
            False,
        )
    shift = added_units + paused_days
    return _deadline_points(
        workcalendar.current_calendar(),
        rule=rule,
        started_at=started_at,
        due_units=limit + shift,
        yellow_units=_yellow_units(limit, ratio) + shift,
    )


def _running_status(due_at: dt.datetime, yellow_at: dt.datetime, now: dt.datetime) -> str:
    if now > due_at:
        return ClockStatus.RED
    if now > yellow_at:
        return ClockStatus.YELLOW
    return ClockStatus.GREEN


def status_now(clock: Clock, now: dt.datetime) -> str:
    """The status the clock should have at `now`."""
    if clock.stopped_at is not None:
        return ClockStatus.STOPPED
    if clock.paused_at is not None:
        return ClockStatus.PAUSED
    return _running_status(clock.due_at, clock.yellow_at, now)


def _recompute(clock: Clock) -> None:
    clock.due_at, clock.yellow_at, clock.due_provisional = compute_deadlines(
        rule=clock.rule,
        started_at=clock.started_at,
        limit=clock.limit,
        ratio=clock.yellow_ratio,
        added_units=clock.extended_units,
        paused_days=clock.paused_days,
        paused_time=clock.paused_time,
    )


# --- helpers -----------------------------------------------------------------------------------------


def _moment(at: dt.datetime | None) -> dt.datetime:
    if at is None:
        return timezone.now()
    if timezone.is_naive(at):
        raise ValidationFailed({"at": [_("时间须带时区。")]})
    return at


def _target_key(target: models.Model) -> tuple[ContentType, str]:
    if target is None or target.pk is None:
        raise ValidationFailed({"target": [_("计时对象尚未保存。")]})
    return ContentType.objects.get_for_model(target, for_concrete_model=False), str(target.pk)


def _locked(clock: Clock) -> Clock:
    return Clock.objects.select_for_update().get(pk=clock.pk)


def _reason_for_record(reason: str | Text | dict | list) -> tuple[str, dict | list]:
    """(text, message) of an event's reason: what a person typed is kept as typed, the platform's words as a
    message too; a message already kept (`stored()`, as a background task receives it) stays as it is."""
    if isinstance(reason, (dict, list)):
        with records_language():
            return shown(reason, "")[:500], reason
    text, message = for_record(reason)
    return text[:500], message


def _event(
    clock: Clock, kind: str, *, actor, at: dt.datetime, reason: str | Text = "", before_due=None
) -> ClockEvent:
    reason, reason_message = _reason_for_record(reason)
    return ClockEvent.objects.create(
        clock=clock,
        kind=kind,
        at=at,
        actor=actor if getattr(actor, "pk", None) else None,
        reason=reason,
        reason_message=reason_message,
        status=clock.status,
        before_due=before_due,
        after_due=clock.due_at,
    )


def _audit(event, *, actor, clock: Clock, before=None, message: str = "") -> None:
    audit.record(
        event,
        actor=actor,
        actor_name="" if getattr(actor, "pk", None) else SYSTEM_ACTOR_NAME,
        target=clock,
        before=before,
        after=audit.snapshot(clock, CLOCK_FIELDS),
        message=message,
    )


def _notify_on_commit(changes: dict[tuple[str, str], list[int]]) -> None:
    """Send `clock_status_changed` once per (kind, new status) after the transaction commits."""
    if not changes:
        return

    def send() -> None:
        for (kind, status), ids in changes.items():
            clock_status_changed.send(sender=Clock, kind=kind, status=status, clock_ids=ids)

    transaction.on_commit(send)


def _save(clock: Clock, old_status: str) -> None:
    clock.save()
    if clock.status != old_status:
        _notify_on_commit({(clock.kind, clock.status): [clock.pk]})


# --- the lifecycle -----------------------------------------------------------------------------------


def clock_for(target: models.Model) -> Clock | None:
    """The clock attached to `target`, if any."""
    if target is None or target.pk is None:
        return None
    content_type = ContentType.objects.get_for_model(target, for_concrete_model=False)
    return Clock.objects.filter(content_type=content_type, object_id=str(target.pk)).first()


def clock_start(
    *,
    actor,
    target: models.Model,
    kind: str,
    rule: str,
    limit: int,
    org,
    started_at: dt.datetime | None = None,
) -> Clock:
    """Start the time limit of `target` (one clock per record). Raises `CalendarNotCovered` when the
    deadline falls in a year whose holidays are unknown; nothing is created then."""
    content_type, object_id = _target_key(target)
    kind = (kind or "").strip()
    errors: dict[str, list[str]] = {}
    if not kind or len(kind) > 64:
        errors["kind"] = [_("请提供事项类型（不超过 64 个字符）。")]
    if rule not in CountingRule.values:
        errors["rule"] = [_("未知的时限计算规则。")]
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        errors["limit"] = [_("时限应为正整数。")]
    elif rule in CountingRule.values and limit > MAX_LIMIT[rule]:
        errors["limit"] = [_("时限过长。")]
    if org is None:
        errors["org"] = [_("请指定所属组织。")]
    if errors:
        raise ValidationFailed(errors)
    started_at = _moment(started_at)
    ratio = yellow_ratio_for(kind)
    due_at, yellow_at, provisional = compute_deadlines(
        rule=rule, started_at=started_at, limit=limit, ratio=ratio
    )
    clock = Clock(
        content_type=content_type,
        object_id=object_id,
        kind=kind,
        rule=rule,
        limit=limit,
        yellow_ratio=ratio,
        started_at=started_at,
        due_at=due_at,
        yellow_at=yellow_at,
        due_provisional=provisional,
        org=org,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    clock.status = status_now(clock, started_at)
    exists = ServiceError(_("该事项已在计时，不能重复开始。"), code="clock_exists")
    if Clock.objects.filter(content_type=content_type, object_id=object_id).exists():
        raise exists
    try:
        with transaction.atomic():
            clock.save()
            _event(clock, ClockEventKind.STARTED, actor=actor, at=started_at)
            _audit(events.CLOCK_STARTED, actor=actor, clock=clock)
    except IntegrityError:
        raise exists from None
    if provisional:
        # The administrator is reminded of a year not entered once a real deadline reaches it.
        workcalendar.deadlines_reach(local_date(started_at), local_date(due_at))
    if clock.status != ClockStatus.GREEN:
        _notify_on_commit({(clock.kind, clock.status): [clock.pk]})
    return clock


def clock_pause(*, actor, clock: Clock, reason: str | Text, at: dt.datetime | None = None) -> Clock:
    """Stop the clock running (e.g. 补正、中止); the paused time will not count. `reason`: what a person typed,
    or a `Message` the platform words (read in each reader's language on the clock's page)."""
    if isinstance(reason, str):
        reason = reason.strip()
    if not reason:
        raise ValidationFailed({"reason": [_("请填写暂停原因。")]})
    at = _moment(at)
    with transaction.atomic():
        locked = _locked(clock)
        if locked.status == ClockStatus.STOPPED:
            raise ServiceError(_("计时已结束，不能暂停。"), code="clock_stopped")
        if locked.status == ClockStatus.PAUSED:
            raise ServiceError(_("计时已处于暂停状态。"), code="clock_paused")
        before, old_status = audit.snapshot(locked, CLOCK_FIELDS), locked.status
        locked.paused_at, locked.status = at, ClockStatus.PAUSED
        _save(locked, old_status)
        event = _event(
            locked, ClockEventKind.PAUSED, actor=actor, at=at, reason=reason, before_due=locked.due_at
        )
        _audit(events.CLOCK_PAUSED, actor=actor, clock=locked, before=before, message=event.reason)
    if clock is not locked:
        clock.refresh_from_db()
    return locked


def _apply_pause(clock: Clock, until: dt.datetime) -> None:
    """Add the paused span (in the clock's own units) and clear the pause."""
    if until < clock.paused_at:
        raise ValidationFailed({"at": [_("恢复时间不能早于暂停时间。")]})
    if clock.rule == CountingRule.HOURS:
        clock.paused_time += until - clock.paused_at
    elif clock.rule == CountingRule.WORKING_DAYS:
        clock.paused_days += workcalendar.working_days_between(local_date(clock.paused_at), local_date(until))
    else:
        clock.paused_days += (local_date(until) - local_date(clock.paused_at)).days
    clock.paused_at = None
    _recompute(clock)


def clock_resume(*, actor, clock: Clock, at: dt.datetime | None = None) -> Clock:
    """Restart a paused clock; its due and yellow points move by the paused span."""
    at = _moment(at)
    with transaction.atomic():
        locked = _locked(clock)
        if locked.status != ClockStatus.PAUSED:
            raise ServiceError(_("计时未暂停，无需恢复。"), code="clock_not_paused")
        before, old_status, before_due = audit.snapshot(locked, CLOCK_FIELDS), locked.status, locked.due_at
        _apply_pause(locked, at)
        locked.status = status_now(locked, at)
        _save(locked, old_status)
        _event(locked, ClockEventKind.RESUMED, actor=actor, at=at, before_due=before_due)
        _audit(events.CLOCK_RESUMED, actor=actor, clock=locked, before=before)
    if clock is not locked:
        clock.refresh_from_db()
    return locked


def clock_extend(
    *, actor, clock: Clock, units: int, reason: str | Text, at: dt.datetime | None = None
) -> Clock:
    """Extend the limit by `units` (in the clock's rule); the yellow point moves by the same amount."""
    if isinstance(reason, str):
        reason = reason.strip()
    errors: dict[str, list[str]] = {}
    if isinstance(units, bool) or not isinstance(units, int) or units < 1:
        errors["units"] = [_("延长的时限应为正整数。")]
    if not reason:
        errors["reason"] = [_("请填写延长理由。")]
    if errors:
        raise ValidationFailed(errors)
    at = _moment(at)
    with transaction.atomic():
        locked = _locked(clock)
        if locked.status == ClockStatus.STOPPED:
            raise ServiceError(_("计时已结束，不能延长。"), code="clock_stopped")
        if locked.extended_units + locked.limit + units > MAX_LIMIT[locked.rule]:
            raise ValidationFailed({"units": [_("时限过长。")]})
        before, old_status, before_due = audit.snapshot(locked, CLOCK_FIELDS), locked.status, locked.due_at
        locked.extended_units += units
        _recompute(locked)
        locked.status = status_now(locked, at)
        _save(locked, old_status)
        event = _event(
            locked, ClockEventKind.EXTENDED, actor=actor, at=at, reason=reason, before_due=before_due
        )
        _audit(events.CLOCK_EXTENDED, actor=actor, clock=locked, before=before, message=event.reason)
    if clock is not locked:
        clock.refresh_from_db()
    return locked


def clock_stop(*, actor, clock: Clock, at: dt.datetime | None = None) -> Clock:
    """End the clock (the record was handled). A paused clock first gets its paused span."""
    at = _moment(at)
    with transaction.atomic():
        locked = _locked(clock)
        if locked.status == ClockStatus.STOPPED:
            raise ServiceError(_("计时已结束。"), code="clock_stopped")
        before, old_status, before_due = audit.snapshot(locked, CLOCK_FIELDS), locked.status, locked.due_at
        if locked.paused_at is not None:
            _apply_pause(locked, at)
        locked.stopped_at, locked.status = at, ClockStatus.STOPPED
        locked.overdue_at_stop = at > locked.due_at
        _save(locked, old_status)
        _event(locked, ClockEventKind.STOPPED, actor=actor, at=at, before_due=before_due)
        _audit(events.CLOCK_STOPPED, actor=actor, clock=locked, before=before)
    if clock is not locked:
        clock.refresh_from_db()
    return locked


# --- recomputing after a calendar change --------------------------------------------------------------


@dataclass(frozen=True)
class RecomputeResult:
    examined: int
    changed: int
    # clocks whose colour changed, by new status
    turned: dict[str, int]


def start_of_day(day: dt.date) -> dt.datetime:
    """00:00 of `day`, Beijing time."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=CHINA_TZ)


def _pause_spans(clock_ids: list[int]) -> dict[int, list[tuple[dt.datetime, dt.datetime]]]:
    """The finished pauses (paused → resumed) of each clock, from its events (one query)."""
    spans: dict[int, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
    if not clock_ids:
        return spans
    opened: dict[int, dt.datetime] = {}
    rows = (
        ClockEvent.objects.filter(
            clock_id__in=clock_ids, kind__in=[ClockEventKind.PAUSED, ClockEventKind.RESUMED]
        )
        .order_by("clock_id", "at", "id")
        .values_list("clock_id", "kind", "at")
    )
    for clock_id, kind, at in rows:
        if kind == ClockEventKind.PAUSED:
            opened[clock_id] = at
        elif clock_id in opened:
            spans[clock_id].append((opened.pop(clock_id), at))
    return spans


def _recompute_condition(first: dt.date, last: dt.date, now: dt.datetime) -> Q:
    """Open calendar-ruled clocks a change of the days in [first, last] can move: counted days run from
    the day after the start to the due date, so the start is on or before `last` and the due date on or
    after `first`; and clocks whose past pauses (counted in working days) may cover a changed day."""
    upper = end_of_day(last)
    reach = Q(due_at__gte=start_of_day(first), started_at__lte=upper)
    if first <= local_date(now):
        reach |= Q(rule=CountingRule.WORKING_DAYS, paused_days__gt=0, started_at__lte=upper)
    return Q(status__in=OPEN_STATUSES, rule__in=CALENDAR_RULES) & reach


def _update_by_key_sql(model: type[models.Model], columns: tuple[str, ...], key: str) -> str:
    """`UPDATE <table> SET <columns> = %s… WHERE <key> = %s`, for `executemany` over a batch of rows (the
    ORM writes one statement per row, or one CASE per column)."""
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(column)} = %s" for column in columns)
    return f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE {quote(key)} = %s"


def copy_recomputed_deadlines(
    model: type[models.Model], changes: list[tuple[int, str, dt.datetime]], *, by_clock: bool = False
) -> None:
    """For a `clock_deadlines_changed` receiver: write each clock's new due date into `model.due_at`, the
    row found by the clock's object id, or with `by_clock` by the row's `clock_id` — one statement run for
    the batch, inside the recompute's transaction."""
    if not changes:
        return
    sql = _update_by_key_sql(model, ("due_at",), "clock_id" if by_clock else model._meta.pk.column)
    adapt = connection.ops.adapt_datetimefield_value
    rows = [(adapt(due), clock_id if by_clock else int(object_id)) for clock_id, object_id, due in changes]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def clocks_recompute(
    *,
    actor=None,
    first: dt.date,
    last: dt.date,
    reason: str | Text | dict | list = "",
    now: dt.datetime | None = None,
    batch_size: int = RECOMPUTE_BATCH,
) -> RecomputeResult:
    """Bring the open clocks the calendar days [first, last] can reach in line with the calendar as it is
    now: due and yellow points, paused working days, the provisional flag and the colour at `now`.

    Runs in batches of `batch_size` clocks, each its own short transaction (a million open clocks would hold
    SQLite's write lock for minutes in one), so it is safe to stop and run again: a clock already in line
    is not written twice. A clock changed meanwhile by a user (resumed, extended) was computed with the new
    calendar already. Stopped clocks are never touched. `reason` (a `Message`, or one already kept when a
    background task passes it on) goes on each clock's ``recalculated`` event."""
    now = _moment(now)
    if last < first:
        first, last = last, first
    reason, reason_message = _reason_for_record(reason or Message(gettext_noop("工作日历变更")))
    actor_row = actor if getattr(actor, "pk", None) else None
    condition = _recompute_condition(first, last, now)
    replay_pauses = first <= local_date(now)
    sql = _update_by_key_sql(
        Clock, ("due_at", "yellow_at", "due_provisional", "paused_days", "status", "updated_at"), "id"
    )
    ops = connection.ops
    examined = changed = 0
    turned: dict[str, int] = defaultdict(int)
    by_kind: dict[str, int] = defaultdict(int)
    memo: dict[tuple, tuple[dt.datetime, dt.datetime, bool]] = {}
    reached: dict[tuple[dt.date, dt.date], object] = {}  # provisional (start, due) spans → their calendar
    # The candidates' ids first, in one query the (status, due_at) index answers, then batches looked up by
    # id: a filtered "next 1,000" query per batch rescans the matching rows each time (SQLite prefers the
    # status index to an id range). Clocks started meanwhile were computed with the new calendar already.
    ids = array("q", Clock.objects.filter(condition).order_by("pk").values_list("pk", flat=True).iterator())
    for offset in range(0, len(ids), batch_size):
        chunk = list(ids[offset : offset + batch_size])
        with transaction.atomic():
            # By id alone (an index on status would make SQLite scan every open clock); stopped ones skipped.
            batch = Clock.objects.filter(pk__in=chunk).order_by("pk")
            if connection.features.has_select_for_update:
                batch = batch.select_for_update()
            rows = list(
                batch.values_list(
                    "pk",
                    "kind",
                    "object_id",
                    "rule",
                    "limit",
                    "yellow_ratio",
                    "started_at",
                    "due_at",
                    "yellow_at",
                    "paused_at",
                    "extended_units",
                    "paused_days",
                    "status",
                    "due_provisional",
                )
            )
            examined += len(rows)
            calendar = workcalendar.current_calendar()
            spans = _pause_spans(
                [r[0] for r in rows if replay_pauses and r[3] == CountingRule.WORKING_DAYS and r[11]]
            )
            updates, new_events = [], []
            statuses: dict[tuple[str, str], list[int]] = defaultdict(list)
            mirrors: dict[str, list[tuple[int, str, dt.datetime]]] = defaultdict(list)
            for (
                pk,
                kind,
                object_id,
                rule,
                limit,
                ratio,
                started_at,
                old_due,
                old_yellow,
                paused_at,
                extended,
                paused_days,
                old_status,
                old_provisional,
            ) in rows:
                if old_status == ClockStatus.STOPPED:  # concluded since the ids were read: its history stays
                    continue
                old_paused = paused_days
                if pk in spans:
                    paused_days = sum(
                        calendar.working_days_between(local_date(begin), local_date(end))
                        for begin, end in spans[pk]
                    )
                shift = extended + paused_days
                # Clocks started the same day with the same units share their points (the yellow point at
                # the start itself, when its units are 0, is the clock's own moment).
                key = (rule, local_date(started_at), limit + shift, _yellow_units(limit, ratio) + shift)
                points = memo.get(key)
                if points is None:
                    points = memo[key] = _deadline_points(
                        calendar, rule=rule, started_at=started_at, due_units=key[2], yellow_units=key[3]
                    )
                due, yellow, provisional = points
                if provisional:
                    reached[(key[1], local_date(due))] = calendar
                if not key[3]:
                    yellow = started_at
                if (due, yellow, provisional, paused_days) == (
                    old_due,
                    old_yellow,
                    old_provisional,
                    old_paused,
                ):
                    continue
                status = ClockStatus.PAUSED if paused_at is not None else _running_status(due, yellow, now)
                updates.append(
                    (
                        ops.adapt_datetimefield_value(due),
                        ops.adapt_datetimefield_value(yellow),
                        provisional,
                        paused_days,
                        status,
                        ops.adapt_datetimefield_value(now),
                        pk,
                    )
                )
                new_events.append(
                    ClockEvent(
                        clock_id=pk,
                        kind=ClockEventKind.RECALCULATED,
                        at=now,
                        actor=actor_row,
                        reason=reason,
                        reason_message=reason_message,
                        status=status,
                        before_due=old_due,
                        after_due=due,
                    )
                )
                if status != old_status:
                    statuses[(kind, status)].append(pk)
                    turned[status] += 1
                mirrors[kind].append((pk, object_id, due))
                by_kind[kind] += 1
            if updates:
                with connection.cursor() as cursor:
                    cursor.executemany(sql, updates)
                ClockEvent.objects.bulk_create(new_events)
                for kind, changes in mirrors.items():
                    clock_deadlines_changed.send(sender=Clock, kind=kind, changes=changes)
                changed += len(updates)
            _notify_on_commit(dict(statuses))
    for (start, due), calendar in reached.items():
        workcalendar.deadlines_reach(start, due, calendar)
    result = RecomputeResult(examined=examined, changed=changed, turned=dict(turned))
    with transaction.atomic():
        audit.record(
            events.CLOCKS_RECOMPUTED,
            actor=actor_row,
            actor_name="" if actor_row else SYSTEM_ACTOR_NAME,
            message=_("%(reason)s：检查 %(examined)d 项在办计时，%(changed)d 项的期限已按新日历重新计算。")
            % {"reason": reason, "examined": examined, "changed": changed},
            after={
                "first": first.isoformat(),
                "last": last.isoformat(),
                "examined": examined,
                "changed": changed,
                "turned": dict(turned),
                "by_kind": dict(by_kind),
            },
        )
    return result


# --- the sweep ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepResult:
    turned_yellow: int
    turned_red: int


def _insert_status_events(condition: Q, status: str, now: dt.datetime) -> None:
    """INSERT … SELECT one status_changed event per clock matching `condition` (one statement)."""
    rows = (
        Clock.objects.filter(condition)
        .order_by()
        .values_list(
            "pk",
            Value(ClockEventKind.STATUS_CHANGED.value, output_field=models.CharField()),
            Value(now, output_field=models.DateTimeField()),
            Value("", output_field=models.CharField()),
            Value({}, output_field=models.JSONField()),
            Value(status, output_field=models.CharField()),
            "due_at",
            "due_at",
        )
    )
    select_sql, params = rows.query.sql_with_params()
    quote = connection.ops.quote_name
    columns = ", ".join(
        quote(c)
        for c in ("clock_id", "kind", "at", "reason", "reason_message", "status", "before_due", "after_due")
    )
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {quote(ClockEvent._meta.db_table)} ({columns}) {select_sql}", params)


def _flip(condition: Q, status: str, now: dt.datetime) -> dict[tuple[str, str], list[int]]:
    """Set `status` on every clock matching `condition` with three set-based statements."""
    changed = Clock.objects.filter(condition).order_by()
    if connection.features.has_select_for_update:
        changed = changed.select_for_update()
    rows = list(changed.values_list("pk", "kind"))
    if not rows:
        return {}
    _insert_status_events(condition, status, now)
    Clock.objects.filter(condition).update(status=status, updated_at=now)
    by_kind: dict[tuple[str, str], list[int]] = defaultdict(list)
    for pk, kind in rows:
        by_kind[(kind, status)].append(pk)
    return dict(by_kind)


def red_condition(now: dt.datetime) -> Q:
    return Q(status__in=[ClockStatus.GREEN, ClockStatus.YELLOW], due_at__lt=now)


def yellow_condition(now: dt.datetime) -> Q:
    return Q(status=ClockStatus.GREEN, yellow_at__lt=now)


def sweep_clocks(now: dt.datetime | None = None) -> SweepResult:
    """Turn running clocks yellow or red when their points have passed; paused and stopped clocks are left
    alone. Set-based: a few indexed statements whatever the number of open clocks."""
    now = _moment(now)
    with transaction.atomic():
        red = _flip(red_condition(now), ClockStatus.RED, now)
        yellow = _flip(yellow_condition(now), ClockStatus.YELLOW, now)
        result = SweepResult(
            turned_yellow=sum(len(ids) for ids in yellow.values()),
            turned_red=sum(len(ids) for ids in red.values()),
        )
        if result.turned_yellow or result.turned_red:
            by_kind: dict[str, dict[str, int]] = defaultdict(dict)
            for (kind, status), ids in (red | yellow).items():
                by_kind[kind][status] = len(ids)
            audit.record(
                events.SWEEP_WARNED,
                actor_name=SYSTEM_ACTOR_NAME,
                message=_("%(yellow)d 项进入预警，%(red)d 项超期。")
                % {"yellow": result.turned_yellow, "red": result.turned_red},
                after={
                    "turned_yellow": result.turned_yellow,
                    "turned_red": result.turned_red,
                    "by_kind": by_kind,
                },
            )
        _notify_on_commit(red | yellow)
    return result


# --- policies ----------------------------------------------------------------------------------------


def clock_policy_set(*, actor, kind: str, yellow_ratio: Decimal | str, label: str = "") -> ClockPolicy:
    """Set the yellow point of a kind of clock (applies to clocks started afterwards)."""
    require(actor, "timelimits.change_clockpolicy", None)
    kind, label = (kind or "").strip(), (label or "").strip()
    errors: dict[str, list[str]] = {}
    if not kind or len(kind) > 64:
        errors["kind"] = [_("请填写事项类型（不超过 64 个字符）。")]
    try:
        ratio = Decimal(str(yellow_ratio)).quantize(Decimal("0.01"))
    except ArithmeticError:
        ratio = None
    if ratio is None or not Decimal("0.01") <= ratio <= Decimal("0.99"):
        errors["yellow_ratio"] = [_("预警比例应在 0.01 至 0.99 之间。")]
    if len(label) > 100:
        errors["label"] = [_("名称不能超过 100 个字。")]
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        policy = ClockPolicy.objects.select_for_update().filter(kind=kind).first()
        before = audit.snapshot(policy, ["kind", "label", "yellow_ratio"]) if policy else None
        if policy is None:
            policy = ClockPolicy(kind=kind)
        policy.yellow_ratio, policy.label, policy.updated_by = ratio, label, actor
        policy.save()
        audit.record(
            events.POLICY_CHANGED,
            actor=actor,
            target=policy,
            before=before,
            after=audit.snapshot(policy, ["kind", "label", "yellow_ratio"]),
        )
    return policy
