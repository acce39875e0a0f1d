"""A line no working window calls: the kiosk does not offer it and no number is taken there, so no visitor
waits all day for a call that never comes."""

from __future__ import annotations

import pytest

from jiedao.applications.models import ServiceWindow
from jiedao.core.exceptions import ServiceError
from jiedao.queueing import services
from jiedao.queueing.models import Ticket
from jiedao.queueing.tests.factories import booking_now, hall_open_now, make_line, make_window, paired_kiosk

pytestmark = pytest.mark.django_db


def test_the_kiosk_offers_no_line_without_a_working_window(tree):
    hall = tree.subdistrict_a
    hall_open_now(tree.district)
    window = make_window(hall, number="3号窗口")
    make_line(hall, "A", window, name="社会救助")
    unassigned = make_line(hall, "B", name="户籍证明")
    stopped_window = make_window(hall, number="5号窗口")
    stopped = make_line(hall, "C", stopped_window, name="居住证")
    ServiceWindow.objects.filter(pk=stopped_window.pk).update(is_active=False)
    kiosk, url = paired_kiosk(hall), f"/queue/hall/{hall.division_code}/"

    page = kiosk.get(url).content.decode()
    assert "社会救助" in page and "户籍证明" not in page and "居住证" not in page
    for line in (unassigned, stopped):
        kiosk.post(url, {"line": line.pk, "phone": "", "appointment_code": ""})
        with pytest.raises(ServiceError, match="暂时没有窗口叫号，暂停取号"):
            services.ticket_take(line=line)
    assert not Ticket.objects.filter(line__in=[unassigned, stopped]).exists()


def test_a_booking_code_takes_the_number_in_a_line_a_window_calls(tree):
    hall = tree.subdistrict_a
    hall_open_now(tree.district)
    make_line(hall, "A", name="无人叫号")
    called = make_line(hall, "B", make_window(hall), name="社会救助")
    booking = booking_now(hall)

    ticket = services.ticket_take(hall=hall, appointment_code=booking.code)

    assert ticket.line == called
