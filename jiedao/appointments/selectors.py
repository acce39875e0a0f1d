"""Reads of 预约办理 that pages, the API, the home panel and the services share."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Case, Count, F, Q, QuerySet, Value, When
from django.utils import timezone

from jiedao.applications.models import Resident
from jiedao.appointments.choices import TAKING_PLACE, AppointmentStatus
from jiedao.appointments.models import Appointment, DayClosure, Slot
from jiedao.catalog.models import ServiceItem
from jiedao.orgs.choices import OrgLevel
from jiedao.orgs.models import OrgUnit
from jiedao.parameters.services import get_parameter
from jiedao.timelimits.services import local_date
from jiedao.workcalendar import services as workcalendar
from jiedao.workcalendar.services import CHINA_TZ


def now_or(at: dt.datetime | None) -> dt.datetime:
    """The moment a read or a write of the app happens at: the one given (tests, a job's run), else now."""
    return at or timezone.now()


def today(*, now: dt.datetime | None = None) -> dt.date:
    """Today in Beijing, the date bookings, check-ins and reminders are counted by."""
    return local_date(now_or(now))


def bookable_dates(*, now: dt.datetime | None = None) -> list[dt.date]:
    """The working days a resident may book: from the next working day, `appointments.days_ahead` of them
    (statutory holidays closed, 调休 make-up days open)."""
    start = today(now=now)
    wanted = int(get_parameter("appointments.days_ahead"))
    return [workcalendar.add_working_days(start, n) for n in range(1, wanted + 1)]


def halls(user, permission: str) -> QuerySet[OrgUnit]:
    """The halls in `user`'s scope for `permission`: the active sub-district and community nodes."""
    return OrgUnit.objects.visible_to(user, permission).filter(
        level__in=(OrgLevel.SUBDISTRICT, OrgLevel.COMMUNITY), is_active=True
    )


def _halls_taking_bookings() -> QuerySet[Slot]:
    return Slot.objects.filter(is_active=True).values("org_id")


def open_slots(orgs: QuerySet[OrgUnit]) -> QuerySet[Slot]:
    """The slots open for booking at `orgs`, a hall's in the order of the day: those 停止预约 may choose."""
    return Slot.objects.filter(org__in=orgs, is_active=True).select_related("org").order_by("org_id", "start")


def bookable_items() -> QuerySet[ServiceItem]:
    """Published items whose hall (the implementing node) has opened slots for booking."""
    return (
        ServiceItem.objects.filter(is_published=True, org_id__in=_halls_taking_bookings())
        .select_related("org")
        .order_by("code")
    )


def halls_taking_bookings() -> set[int]:
    """The org nodes with open slots: the lists of items offer 预约 for theirs only (one query)."""
    return set(_halls_taking_bookings().distinct().values_list("org_id", flat=True))


def takes_bookings(item: ServiceItem) -> bool:
    return Slot.objects.filter(org_id=item.org_id, is_active=True).exists()


@dataclass(frozen=True)
class SlotPlaces:
    slot: Slot
    taken: int
    begun: bool
    closed: bool = False  # the hall stopped booking for the day or for this slot of it (`DayClosure`)
    closed_reason: str = ""  # why: the closing of this slot's, else the whole day's

    @property
    def remaining(self) -> int:
        return max(self.slot.capacity - self.taken, 0)

    @property
    def bookable(self) -> bool:
        return self.remaining > 0 and not self.begun and not self.closed


def day_closure(org_id: int, day: dt.date) -> DayClosure | None:
    """The hall's closing of the whole of `day`, or None (a closing of some slots is `slot_closures`')."""
    return DayClosure.objects.filter(org_id=org_id, date=day, slot__isnull=True).first()


def slot_closures(org_id: int, day: dt.date) -> dict[int, DayClosure]:
    """The hall's slots closed on `day` (停止部分时段预约), by slot id."""
    return {
        closure.slot_id: closure
        for closure in DayClosure.objects.filter(org_id=org_id, date=day, slot__isnull=False)
    }


def closure_at(org_id: int, moment: dt.datetime) -> tuple[DayClosure, dt.time | None] | None:
    """The hall's closing in effect at `moment` and when it ends that day (None: the whole day), or None.

    A closed slot joined by the next closed one (下午停电: a row per slot) ends with the last of them, so that
    the kiosk says the end of the whole closed span, not of the half hour it happens to be in."""
    local = moment.astimezone(CHINA_TZ)
    closures = list(
        DayClosure.objects.filter(org_id=org_id, date=local.date())
        .select_related("slot")
        .order_by(F("slot__start").asc(nulls_first=True), "id")
    )
    if closures and closures[0].slot_id is None:
        return closures[0], None
    now = local.time()
    current = next((c for c in closures if c.slot.start <= now < c.slot.end), None)
    if current is None:
        return None
    end = current.slot.end
    for closure in closures:
        if closure.slot.start <= end < closure.slot.end:
            end = closure.slot.end
    return current, end


def starts_at(day: dt.date, slot: Slot) -> dt.datetime:
    return dt.datetime.combine(day, slot.start, tzinfo=CHINA_TZ)


def slot_places(item: ServiceItem, day: dt.date, *, now: dt.datetime | None = None) -> list[SlotPlaces]:
    """The open slots of the item's hall on `day` with the places left (one query for all the counts), none
    bookable when the hall stopped booking for the day, and those it stopped for that day closed."""
    now = now_or(now)
    taken = dict(
        Appointment.objects.filter(org_id=item.org_id, date=day, status__in=TAKING_PLACE)
        .values("slot_id")
        .annotate(n=Count("id"))
        .values_list("slot_id", "n")
    )
    slots = Slot.objects.filter(org_id=item.org_id, is_active=True).order_by("start")
    whole_day = day_closure(item.org_id, day)
    closed_slots = slot_closures(item.org_id, day)
    places = []
    for slot in slots:
        closure = closed_slots.get(slot.pk, whole_day)
        begun = starts_at(day, slot) <= now
        reason = closure.reason if closure else ""
        places.append(SlotPlaces(slot, taken.get(slot.pk, 0), begun, closure is not None, reason))
    return places


def booking_ban_until(resident: Resident, *, now: dt.datetime | None = None) -> dt.date | None:
    """The date until which `resident` may not book (exclusive) after too many no-shows, or None.

    `appointments.no_show_limit` no-shows within `appointments.no_show_window_days` stop booking for
    `appointments.ban_days` from the latest no-show's date."""
    now = now_or(now)
    window = dt.timedelta(days=int(get_parameter("appointments.no_show_window_days")))
    recent = list(
        Appointment.objects.filter(
            resident=resident, status=AppointmentStatus.NO_SHOW, starts_at__gte=now - window
        ).values_list("date", flat=True)
    )
    if len(recent) < int(get_parameter("appointments.no_show_limit")):
        return None
    until = max(recent) + dt.timedelta(days=int(get_parameter("appointments.ban_days")))
    return until if today(now=now) < until else None


def resident_appointments(resident: Resident, *, now: dt.datetime | None = None) -> QuerySet[Appointment]:
    """我的预约: the bookings still to come (booked, slot not ended) first, the soonest first; then the rest
    (past, checked in, cancelled, 爽约), the newest first."""
    # A slot in progress is still usable (签到 and the kiosk's priority number until its end and after): the
    # resident looking for its code finds it at the top, not among the history.
    upcoming = Q(status=AppointmentStatus.BOOKED, ends_at__gt=now_or(now))
    return (
        Appointment.objects.filter(resident=resident)
        .select_related("item", "slot", "org")
        .annotate(
            later=Case(When(upcoming, then=Value(0)), default=Value(1)),
            upcoming_at=Case(When(upcoming, then=F("starts_at")), default=None),
        )
        .order_by("later", F("upcoming_at").asc(nulls_last=True), "-starts_at", "-id")
    )


def open_appointment(resident: Resident, item: ServiceItem) -> Appointment | None:
    return Appointment.objects.filter(resident=resident, item=item, status=AppointmentStatus.BOOKED).first()


def day_appointments(user, day: dt.date) -> QuerySet[Appointment]:
    """The bookings of `day` at the halls in `user`'s scope, cancelled ones left out."""
    return (
        Appointment.objects.visible_to(user, "appointments.view_appointment")
        .filter(date=day)
        .exclude(status=AppointmentStatus.CANCELLED)
        .select_related("item", "slot", "org")
        .order_by("starts_at", "id")
    )


@dataclass(frozen=True)
class WalkInPrefill:
    """What 窗口收件 fills in from a booking checked in today: the booked item, the booker's name, and their
    phone and identity number (when the booking's resident account holds a verified one) masked.

    The page shows staff masked numbers only, as everywhere else: the clerk compares the last digits with the
    card in hand, and `booking_numbers` puts the full ones on the application when they are left unchanged —
    no full number on the page, so nothing to audit, and nothing to type for the usual visitor."""

    appointment: Appointment
    item_id: int
    name: str
    phone: str
    id_number: str


def _verified_resident(appointment: Appointment):
    resident = appointment.resident
    return resident if resident is not None and resident.is_verified and resident.id_number else None


def walk_in_prefill(user, pk: int | str | None, *, now: dt.datetime | None = None) -> WalkInPrefill | None:
    """The booking `pk` checked in today at a hall in `user`'s scope, for 窗口收件 after 签到; None for a
    booking out of scope, not checked in, of another day, or not found (the page then starts empty)."""
    if pk is None or not str(pk).isdigit():
        return None
    appointment = (
        Appointment.objects.visible_to(user, "appointments.view_appointment")
        .filter(pk=int(pk), status=AppointmentStatus.CHECKED_IN, date=today(now=now))
        .select_related("resident", "item")
        .first()
    )
    if appointment is None:
        return None
    resident = _verified_resident(appointment)
    return WalkInPrefill(
        appointment=appointment,
        item_id=appointment.item_id,
        name=appointment.name,
        phone=appointment.phone_masked,
        id_number=resident.id_number_masked if resident is not None else "",
    )


def booking_numbers(appointment: Appointment, id_number: str, phone: str) -> tuple[str, str]:
    """The identity number and phone a walk-in registration from `appointment` is to keep: a value left as
    the masked one the page filled in stands for the booking's own full number; anything typed is kept."""
    id_number, phone = (id_number or "").strip(), (phone or "").strip()
    resident = _verified_resident(appointment)
    if resident is not None and id_number and id_number == resident.id_number_masked:
        id_number = resident.id_number
    if phone and phone == appointment.phone_masked:
        phone = appointment.phone
    return id_number, phone


def todays_appointments(user, *, now: dt.datetime | None = None) -> QuerySet[Appointment]:
    """The bookings of today at the halls in `user`'s scope."""
    return day_appointments(user, today(now=now))


def day_closures(user, day: dt.date) -> QuerySet[DayClosure]:
    """The halls in `user`'s scope that stopped booking for `day`, the whole day or some slots (a row each),
    a hall's whole day before its slots."""
    return (
        DayClosure.objects.visible_to(user, "appointments.view_appointment")
        .filter(date=day)
        .select_related("org", "slot", "created_by")
        .order_by("org_id", F("slot__start").asc(nulls_first=True), "id")
    )


def hall_cancelled_appointments(user, day: dt.date) -> QuerySet[Appointment]:
    """The bookings of `day` the halls in `user`'s scope cancelled (停止预约), with who and why."""
    return (
        Appointment.objects.visible_to(user, "appointments.view_appointment")
        .filter(date=day, status=AppointmentStatus.CANCELLED, cancelled_by__isnull=False)
        .select_related("item", "slot", "org", "cancelled_by")
        .order_by("starts_at", "id")
    )


def today_counts(user, *, now: dt.datetime | None = None) -> dict[str, int]:
    """Today's bookings at the halls in scope: all of them, and those still waiting to check in."""
    return todays_appointments(user, now=now).aggregate(
        total=Count("id"), waiting=Count("id", filter=Q(status=AppointmentStatus.BOOKED))
    )


def cancellable_by(user, pks: list[int]) -> set[int]:
    """Of the bookings `pks`, those at the halls where `user` may cancel (取消 on their rows only)."""
    if not pks:
        return set()
    return set(
        Appointment.objects.visible_to(user, "appointments.cancel_appointment")
        .filter(pk__in=pks)
        .values_list("pk", flat=True)
    )
