"""Test data of 预约办理: a hall's schedule and bookings."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from jiedao.appointments import services
from jiedao.appointments.models import Appointment, Slot
from jiedao.core.testing import make_user
from jiedao.workcalendar import services as workcalendar
from jiedao.workcalendar.services import CHINA_TZ

HALL_ADMIN = ("appointments.view_slot", "appointments.change_slot")
WINDOW = ("appointments.view_appointment", "appointments.checkin_appointment", "applications.add_application")


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
    """A booking of today's `slot`, made on the working day before (as residents book: from the next working
    day on). Skips the test on a day that is not a working day: nobody is booked for it."""
    today = timezone.localtime(timezone.now(), CHINA_TZ).date()
    if not workcalendar.is_workday(today):
        pytest.skip("today is not a working day: no bookings for it")
    earlier = today - dt.timedelta(days=1)
    while not workcalendar.is_workday(earlier):
        earlier -= dt.timedelta(days=1)
    booked_at = dt.datetime.combine(earlier, dt.time(10), tzinfo=CHINA_TZ)
    return services.appointment_book(resident=resident, item=item, day=today, slot=slot, now=booked_at)
