"""Reads of 排队叫号 that the pages and the services share."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from jiedao.applications.models import ServiceWindow
from jiedao.appointments import selectors as appointments
from jiedao.appointments.choices import AppointmentStatus
from jiedao.appointments.models import Appointment
from jiedao.core.exceptions import ServiceError
from jiedao.orgs.choices import OrgLevel
from jiedao.orgs.models import OrgUnit
from jiedao.parameters.services import get_parameter
from jiedao.queueing.choices import TicketStatus
from jiedao.queueing.models import QueueLine, Ticket
from jiedao.timelimits.services import local_date
from jiedao.workcalendar import services as workcalendar
from jiedao.workcalendar.services import CHINA_TZ

# The order waiting tickets are called in: 预约优先 first, then who joined the queue first.
CALL_ORDER = ("-priority", "queued_at", "id")
SCREEN_ROWS = 8


def now_or(at: dt.datetime | None) -> dt.datetime:
    return at or timezone.now()


def today(*, now: dt.datetime | None = None) -> dt.date:
    """Today in Beijing: tickets are numbered per line and per this date."""
    return local_date(now_or(now))


def closed_now(*, hall_id: int | None = None, now: dt.datetime | None = None) -> str:
    """Why no number is taken at `now` (not a working day of the calendar, the hall `hall_id` stopped
    booking (停止预约) for the day or the slot `now` falls in, or outside the hours of `queueing.take_from` to
    `queueing.take_until`), or ""."""
    now = now_or(now)
    day = today(now=now)
    try:
        workday = workcalendar.is_workday(day)
    except ServiceError as error:  # a year the calendar does not cover: said as it is
        return str(error.message)
    if not workday:
        return _("今天（%(date)s）不是工作日，服务大厅不办理业务，不能取号。") % {
            "date": workcalendar.date_with_weekday(day)
        }
    closure = hall_closure(hall_id, now=now) if hall_id is not None else ""
    if closure:
        return closure
    start, end = int(get_parameter("queueing.take_from")), int(get_parameter("queueing.take_until"))
    if not start <= now.astimezone(CHINA_TZ).hour < end:
        return _("现在不是取号时间。工作日 %(start)d:00 至 %(end)d:00 可以取号。") % {
            "start": start,
            "end": end,
        }
    return ""


def hall_closure(hall_id: int, *, now: dt.datetime | None = None) -> str:
    """Why the hall takes no number at `now` because it stopped booking (停止预约: a holiday switch, 停电,
    临时闭厅) for the day or for the slot `now` falls in, or "": a hall closed to bookings is closed to walk-ins
    too, and bookings cancelled for it would otherwise come back as tickets."""
    found = appointments.closure_at(hall_id, now_or(now))
    if found is None:
        return ""
    closure, until = found  # the reason is required of every closing (`appointments.services._clean_reason`)
    if until is None:
        return _("今日大厅暂停取号：%(reason)s") % {"reason": closure.reason}
    return _("大厅暂停取号至 %(until)s：%(reason)s") % {"until": f"{until:%H:%M}", "reason": closure.reason}


def public_hall(division_code: str) -> OrgUnit | None:
    """The hall of a kiosk or display address: an active node with at least one queue line."""
    return (
        OrgUnit.objects.filter(division_code=division_code, is_active=True)
        .filter(pk__in=QueueLine.objects.values("org_id"))
        .first()
    )


def halls(user, permission: str) -> QuerySet[OrgUnit]:
    """The halls in `user`'s scope for `permission`: the active sub-district and community nodes."""
    return OrgUnit.objects.visible_to(user, permission).filter(
        level__in=(OrgLevel.SUBDISTRICT, OrgLevel.COMMUNITY), is_active=True
    )


def active_lines(hall: OrgUnit) -> QuerySet[QueueLine]:
    """The hall's lines the kiosk offers: open for numbers and called by at least one working window. A line
    with no window, or only stopped ones, is left out: a number taken there would never be called."""
    return (
        QueueLine.objects.filter(org=hall, is_active=True)
        .filter(
            pk__in=QueueLine.windows.through.objects.filter(servicewindow__is_active=True).values("queueline")
        )
        .order_by("prefix")
    )


def waiting(line_ids, day: dt.date) -> QuerySet[Ticket]:
    """The waiting tickets of the lines on `day`, in the order they are called."""
    return Ticket.objects.filter(line_id__in=line_ids, date=day, status=TicketStatus.WAITING).order_by(
        *CALL_ORDER
    )


def ahead_of(ticket: Ticket) -> int:
    """How many waiting tickets of its line are called before `ticket` (0 for one not waiting)."""
    if ticket.status != TicketStatus.WAITING:
        return 0
    same_rank_before = Q(priority=ticket.priority) & (
        Q(queued_at__lt=ticket.queued_at) | Q(queued_at=ticket.queued_at, id__lt=ticket.pk)
    )
    before = same_rank_before if ticket.priority else Q(priority=True) | same_rank_before
    return waiting([ticket.line_id], ticket.date).filter(before).count()


def waiting_counts(lines, day: dt.date) -> dict[int, int]:
    """{line id: waiting tickets on `day`} for `lines`, one query; each line gets it as `waiting` too."""
    rows = (
        Ticket.objects.filter(line__in=lines, date=day, status=TicketStatus.WAITING)
        .values("line_id")
        .annotate(n=Count("id"))
    )
    counts = {row["line_id"]: row["n"] for row in rows}
    for line in lines:
        line.waiting = counts.get(line.pk, 0)
    return {line.pk: line.waiting for line in lines}


def latest_called(hall: OrgUnit, day: dt.date, limit: int = SCREEN_ROWS) -> QuerySet[Ticket]:
    """The tickets last called (or called again) at the hall's windows on `day`, newest first: the display."""
    return (
        Ticket.objects.filter(org=hall, date=day, announced_at__isnull=False)
        .filter(status__in=(TicketStatus.CALLED, TicketStatus.DONE))
        .select_related("line", "called_window")
        .order_by("-announced_at", "-id")[:limit]
    )


def window_of(user, window_id: int, permission: str = "queueing.call_ticket") -> ServiceWindow | None:
    """A window of a hall in `user`'s scope, or None (another hall's window is not found)."""
    return ServiceWindow.objects.visible_to(user, permission).filter(pk=window_id, is_active=True).first()


def serving_at(windows, day: dt.date) -> dict[int, Ticket]:
    """The ticket each of `windows` is serving (called, not yet finished or skipped), by window id, read in
    one query for all of them."""
    tickets = (
        Ticket.objects.filter(called_window__in=windows, date=day, status=TicketStatus.CALLED)
        .select_related("line", "appointment")
        .order_by("called_window_id", "-called_at")
    )
    serving: dict[int, Ticket] = {}
    for ticket in tickets:
        serving.setdefault(ticket.called_window_id, ticket)
    return serving


def current_at(window: ServiceWindow, day: dt.date) -> Ticket | None:
    """The ticket the window is serving (called, not yet finished or skipped)."""
    return serving_at([window], day).get(window.pk)


def walk_in_query(user, ticket: Ticket) -> str:
    """The query of the 窗口收件 link for the visitor of `ticket`: the booking they came with once checked in
    today and readable by `user` (the form is filled from it and the application carries it), else the
    booked item; nothing for a visitor without a booking."""
    booking = ticket.appointment
    if booking is None:
        return ""
    readable = Appointment.objects.visible_to(user, "appointments.view_appointment").filter(pk=booking.pk)
    if booking.status == AppointmentStatus.CHECKED_IN and booking.date == ticket.date and readable.exists():
        return f"?appointment={booking.pk}"
    return f"?item={booking.item_id}"


def skipped_for(window: ServiceWindow, day: dt.date) -> QuerySet[Ticket]:
    """Today's skipped tickets of the lines `window` serves: 重新排队 when the visitor comes back."""
    return (
        Ticket.objects.filter(line__windows=window, date=day, status=TicketStatus.SKIPPED)
        .select_related("line", "called_window")
        .order_by("-called_at")
    )


@dataclass(frozen=True)
class LineStats:
    line: QueueLine
    taken: int
    called: int
    done: int
    skipped: int
    waiting: int
    average_wait: dt.timedelta | None  # from taking the number to its first call

    @property
    def average_minutes(self) -> int | None:
        return None if self.average_wait is None else round(self.average_wait.total_seconds() / 60)


def day_stats(user, day: dt.date) -> list[LineStats]:
    """今日排队统计 of the lines in `user`'s scope on `day`: counted by the database in one query."""
    on_day = Q(tickets__date=day)
    counted = (
        QueueLine.objects.visible_to(user, "queueing.view_queueline")
        .select_related("org")
        .annotate(
            n_taken=Count("tickets", filter=on_day),
            n_called=Count("tickets", filter=on_day & Q(tickets__called_at__isnull=False)),
            n_done=Count("tickets", filter=on_day & Q(tickets__status=TicketStatus.DONE)),
            n_skipped=Count("tickets", filter=on_day & Q(tickets__status=TicketStatus.SKIPPED)),
            n_waiting=Count("tickets", filter=on_day & Q(tickets__status=TicketStatus.WAITING)),
            wait=Avg(
                ExpressionWrapper(
                    F("tickets__called_at") - F("tickets__taken_at"), output_field=DurationField()
                ),
                filter=on_day & Q(tickets__called_at__isnull=False),
            ),
        )
        .order_by("org_id", "prefix")
    )
    return [
        LineStats(
            line=line,
            taken=line.n_taken,
            called=line.n_called,
            done=line.n_done,
            skipped=line.n_skipped,
            waiting=line.n_waiting,
            average_wait=line.wait,
        )
        for line in counted
    ]
