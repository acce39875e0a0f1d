"""停止预约 of today while a visitor who came with a booking is already waiting in the hall with the number their
booking code gave: they are in the hall, as one checked in is, so their booking is not cancelled nor are they
texted to book another day while the windows go on calling their number."""

from __future__ import annotations

import pytest

from jiedao.appointments import services
from jiedao.appointments.choices import AppointmentStatus
from jiedao.core.testing import make_user
from jiedao.queueing import services as queueing
from jiedao.queueing.tests.factories import MONDAY, at, booking_on, make_line, make_window
from jiedao.sms.models import OutboundMessage

pytestmark = pytest.mark.django_db

CANCELLER = ("appointments.view_appointment", "appointments.cancel_appointment")


@pytest.mark.parametrize("whole_day", [True, False])
def test_stopping_bookings_leaves_the_booking_of_a_visitor_waiting_in_the_hall(tree, whole_day):
    hall = tree.subdistrict_a
    line = make_line(hall, "A", make_window(hall), name="社会救助")
    waiting = booking_on(hall, MONDAY)
    absent = booking_on(hall, MONDAY)
    ticket = queueing.ticket_take(line=line, appointment_code=waiting.code, now=at(MONDAY, 9, 5))
    assert ticket.priority
    leader = make_user(hall, *CANCELLER)
    sent_before = OutboundMessage.objects.count()

    if whole_day:
        _closure, cancelled = services.appointments_cancel_day(
            actor=leader, org=hall, day=MONDAY, reason="停电临时闭厅", now=at(MONDAY, 9, 10)
        )
    else:
        _closures, cancelled = services.appointments_cancel_slots(
            actor=leader,
            org=hall,
            day=MONDAY,
            slot_ids=[waiting.slot_id, absent.slot_id],
            reason="停电临时闭厅",
            now=at(MONDAY, 9, 10),
        )

    assert [a.pk for a in cancelled] == [absent.pk]
    waiting.refresh_from_db()
    absent.refresh_from_db()
    assert waiting.status == AppointmentStatus.BOOKED and absent.status == AppointmentStatus.CANCELLED
    assert OutboundMessage.objects.count() == sent_before + 1  # the absent one's cancellation only
