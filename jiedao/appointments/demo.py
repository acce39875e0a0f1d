"""Demo data of 预约办理: permissions of the demo roles (the window checks visitors in, the sub-district leader
sets the hall's slots and cancels bookings when the hall must close, as for its service windows), the slots of 清波街道's service center, and bookings: the
demo resident's own for the next working day, which they can cancel on their page, and two of today, so that
`window` finds them in 今日预约 to check in. Idempotent.

Needs the applications demo (the demo resident), loaded before this app by `manage.py demo`.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from jiedao.accounts.models import Role, User
from jiedao.applications.demo import DEMO_PHONE
from jiedao.applications.models import Resident
from jiedao.appointments import selectors, services
from jiedao.appointments.models import Appointment, Slot
from jiedao.catalog.models import ServiceItem
from jiedao.core import crypto
from jiedao.core.demo import resolve_permissions
from jiedao.core.exceptions import ServiceError
from jiedao.orgs.models import OrgUnit
from jiedao.registry.identity import id_number_hash, phone_hash
from jiedao.registry.validators import make_id_number
from jiedao.workcalendar import services as workcalendar
from jiedao.workcalendar.services import CHINA_TZ

HALL_CODE = "330110001000"  # 清波街道
ROLE_PERMISSIONS = {
    "window-staff": ("appointments.view_appointment", "appointments.checkin_appointment"),
    "subdistrict-leader": (
        "appointments.view_slot",
        "appointments.change_slot",
        "appointments.view_appointment",
        "appointments.cancel_appointment",
    ),
    "supervisor": ("appointments.view_appointment",),
}
# Visitors booked for today (fictitious numbers, as the other demo residents').
VISITORS = [("13957100011", "周明华", 1), ("13957100012", "沈丽萍", 2)]


def load_permissions() -> None:
    for code, patterns in ROLE_PERMISSIONS.items():
        role = Role.objects.filter(code=code).first()
        if role is not None:
            role.permissions.add(*resolve_permissions(patterns))


def load_schedule(hall: OrgUnit) -> None:
    leader = User.objects.filter(username="leader").first()
    if leader is None or Slot.objects.filter(org=hall).exists():
        return
    services.schedule_set(
        actor=leader,
        org=hall,
        morning=(dt.time(9), dt.time(12)),
        afternoon=(dt.time(13, 30), dt.time(17)),
        minutes=30,
        capacity=4,
    )


def _visitor(phone: str, name: str, serial: int) -> Resident:
    resident = Resident.objects.filter(phone_hash=phone_hash(phone)).first()
    if resident is None:
        number = make_id_number("330110", dt.date(1975 + serial, 3, 8), 500 + serial)
        resident = Resident.objects.create(
            phone=phone,
            phone_hash=phone_hash(phone),
            phone_masked=crypto.mask_phone(phone),
            real_name=name,
            id_number=number,
            id_number_hash=id_number_hash(number),
            id_number_masked=crypto.mask_id_number(number),
            verified_at=timezone.now(),
        )
    return resident


def load_bookings(hall: OrgUnit, stdout=None) -> None:
    items = list(ServiceItem.objects.filter(org=hall, is_published=True).order_by("code")[:2])
    slots = list(Slot.objects.filter(org=hall, is_active=True).order_by("start"))
    if not items or not slots or Appointment.objects.filter(org=hall).exists():
        return
    made = []
    resident = Resident.objects.filter(phone_hash=phone_hash(DEMO_PHONE)).first()
    if resident is not None:
        day = selectors.bookable_dates()[0]
        made.append(services.appointment_book(resident=resident, item=items[0], day=day, slot_id=slots[2].pk))
    today = timezone.localtime(timezone.now(), CHINA_TZ).date()
    if workcalendar.is_workday(today):
        # Booked on an earlier working day, as residents book: the afternoon's slots are still ahead today.
        earlier = today - dt.timedelta(days=1)
        while not workcalendar.is_workday(earlier):
            earlier -= dt.timedelta(days=1)
        booked_at = dt.datetime.combine(earlier, dt.time(10), tzinfo=CHINA_TZ)
        for (phone, name, serial), item in zip(VISITORS, items * 2, strict=False):
            visitor = _visitor(phone, name, serial)
            made.append(
                services.appointment_book(
                    resident=visitor, item=item, day=today, slot_id=slots[-1 - serial].pk, now=booked_at
                )
            )
    if stdout is not None:
        for appointment in made:
            stdout.write(
                f"演示预约：{appointment.name} {appointment.date:%Y-%m-%d} {appointment.slot} "
                f"{appointment.item.name}，预约码 {appointment.code}"
            )


@transaction.atomic
def load(stdout=None) -> None:
    load_permissions()
    hall = OrgUnit.objects.filter(division_code=HALL_CODE).first()
    if hall is None:
        return
    load_schedule(hall)
    try:
        load_bookings(hall, stdout)
    except ServiceError as refused:  # a calendar year not entered yet, say: the demo goes on without bookings
        if stdout is not None:
            stdout.write(f"演示预约未载入：{refused.message}")
