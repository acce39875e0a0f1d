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


def test_stopping_bookings_leaves_the_booking_of_a_visitor_whose_number_was_skipped(tree):
    """过号 while they stepped away: they came with the booking's code and may be put back in the queue, as
    `no_shows_mark` holds; the day's closure must not cancel them and text them to book another day."""
    from jiedao.queueing.tests.factories import make_caller

    hall = tree.subdistrict_a
    window = make_window(hall)
    line = make_line(hall, "A", window, name="社会救助")
    caller = make_caller(hall, window)
    skipped = booking_on(hall, MONDAY)
    ticket = queueing.ticket_take(line=line, appointment_code=skipped.code, now=at(MONDAY, 9, 5))
    queueing.ticket_call_next(actor=caller, window=window, now=at(MONDAY, 9, 6))
    queueing.ticket_skip(actor=caller, ticket=ticket, now=at(MONDAY, 9, 7))
    sent_before = OutboundMessage.objects.count()

    _closure, cancelled = services.appointments_cancel_day(
        actor=make_user(hall, *CANCELLER), org=hall, day=MONDAY, reason="停电临时闭厅", now=at(MONDAY, 9, 10)
    )

    assert cancelled == []
    skipped.refresh_from_db()
    assert skipped.status == AppointmentStatus.BOOKED
    assert OutboundMessage.objects.count() == sent_before
