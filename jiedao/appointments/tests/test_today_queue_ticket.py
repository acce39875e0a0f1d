"""今日预约 shows, for a booking whose visitor took a number with its code at the kiosk (排队叫号), the number
and where it stands, so that the window knows who is in the hall and who was served."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from jiedao.applications.tests.factories import make_resident
from jiedao.appointments.tests.factories import WINDOW, booked_for_today
from jiedao.core.testing import client_for, make_user
from jiedao.queueing import services as queueing
from jiedao.queueing.models import Ticket
from jiedao.queueing.tests.factories import hall_open_now, make_caller, make_line, make_window, paired_kiosk

pytestmark = pytest.mark.django_db


def queue_cell(page: str, code: str) -> str:
    """The 排队号 cell of the row of booking `code`, its tags and spaces dropped."""
    row = next(r for r in page.split('data-testid="appointment"')[1:] if code in r.split("</tr>")[0])
    cell = re.search(r'data-testid="queue-ticket">(.*?)</td>', row, re.S).group(1)
    return " ".join(re.sub(r"<[^>]+>", " ", cell).split())


def test_the_booking_row_shows_the_ticket_taken_with_it_and_its_state(tree, item, slots):
    hall_open_now(tree.district)
    window = make_window(tree.subdistrict_a, number="3号窗口")
    caller = make_caller(tree.subdistrict_a, window)
    line = make_line(tree.subdistrict_a, "A", window, name="社会救助")
    came = booked_for_today(make_resident(), item, slots[0])
    away = booked_for_today(make_resident(), item, slots[1])
    kiosk = f"/queue/hall/{tree.subdistrict_a.division_code}/"
    paired_kiosk(tree.subdistrict_a).post(kiosk, {"line": line.pk, "appointment_code": came.code})
    ticket = Ticket.objects.get(appointment=came)

    client = client_for(make_user(tree.subdistrict_a, *WINDOW))
    url = reverse("appointments:today")
    page = client.get(url).content.decode()
    assert queue_cell(page, came.code) == "A001 等候中"
    assert queue_cell(page, away.code) == "未取号"

    queueing.ticket_call_next(actor=caller, window=window)
    assert queue_cell(client.get(url).content.decode(), came.code) == "A001 已叫号（3号窗口）"
    queueing.ticket_finish(actor=caller, ticket=ticket)
    assert queue_cell(client.get(url).content.decode(), came.code) == "A001 已办结"
