"""Test data of 预约办理: a hall's schedule and bookings."""

from __future__ import annotations

import datetime as dt

from jiedao.appointments import services
from jiedao.appointments.models import Slot
from jiedao.core.testing import make_user

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
