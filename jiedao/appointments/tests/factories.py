"""Test data of 预约办理: a hall's schedule and bookings."""

from __future__ import annotations

import datetime as dt

from jiedao.appointments import selectors, services
from jiedao.appointments.models import Appointment, Slot
from jiedao.core.testing import make_user
from jiedao.workcalendar.services import CHINA_TZ

HALL_ADMIN = ("appointments.view_slot", "appointments.change_slot")
WINDOW = ("appointments.view_appointment", "appointments.checkin_appointment", "applications.add_application")
# A Friday before the National Day holiday of 2025: Sunday 28 September is a make-up working day (调休),
# 1–8 October are the holiday, Saturday 11 October is a make-up day again.
FRIDAY = dt.datetime(2025, 9, 26, 10, 0, tzinfo=CHINA_TZ)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """That day at that time, Beijing time."""
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=CHINA_TZ)


def open_hall(org, *, capacity: int = 2, minutes: int = 30) -> list[Slot]:
    """The hall's working day 09:00–12:00 and 13:30–17:00, set by a hall administrator of `org`."""
    admin = make_user(org, *HALL_ADMIN)
    return services.schedule_set(
        actor=admin,
        org=org,
        morning=(dt.time(9), dt.time(12)),
        afternoon=(dt.time(13, 30), dt.time(17)),
        minutes=minutes,
        capacity=capacity,
    )


def booked_for_today(resident, item, slot) -> Appointment:
    """A booking of today's `slot`, on any day the tests run, a Sunday or a holiday too.

    Residents book from the next working day on, so the service books the first bookable date and the row
    is then moved to today: the window's pages and 签到 read the real clock, and a fixture that skipped on a
    day off would leave the masking and check-in tests silently unrun on weekends and holidays."""
    booked = services.appointment_book(
        resident=resident, item=item, day=selectors.bookable_dates()[0], slot_id=slot.pk
    )
    today = selectors.today()
    Appointment.objects.filter(pk=booked.pk).update(
        date=today,
        starts_at=dt.datetime.combine(today, slot.start, tzinfo=CHINA_TZ),
        ends_at=dt.datetime.combine(today, slot.end, tzinfo=CHINA_TZ),
    )
    booked.refresh_from_db()
    return booked
