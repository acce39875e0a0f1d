"""停止预约 closes the kiosk too: a hall that stopped booking for a day (a holiday switch, 停电, 临时闭厅) or
for some slots of it gives no number for that time, and says why."""

from __future__ import annotations

import datetime as dt

import pytest

from jiedao.appointments import services as appointments
from jiedao.appointments.tests.factories import open_hall
from jiedao.core.exceptions import ServiceError
from jiedao.core.testing import make_user
from jiedao.queueing import services
from jiedao.queueing.models import Ticket
from jiedao.queueing.selectors import today
from jiedao.queueing.tests.factories import (
    MONDAY,
    SATURDAY,
    at,
    hall_open_now,
    make_line,
    make_window,
    paired_kiosk,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def line(tree):
    return make_line(tree.subdistrict_a, "A", make_window(tree.subdistrict_a), name="社会救助")


def close_day(org, day, reason="停电检修", now=None):
    admin = make_user(org, "appointments.cancel_appointment")
    return appointments.appointments_cancel_day(actor=admin, org=org, day=day, reason=reason, now=now)


def close_slots(org, day, starts, reason="会议占用大厅"):
    slots = [slot for slot in open_hall(org) if slot.start in starts]
    admin = make_user(org, "appointments.cancel_appointment")
    return appointments.appointments_cancel_slots(
        actor=admin, org=org, day=day, slot_ids=[s.pk for s in slots], reason=reason, now=at(day, 8)
    )


def test_a_day_the_hall_stopped_booking_gives_no_number_and_says_why(tree, line):
    close_day(tree.subdistrict_a, MONDAY, now=at(MONDAY, 8))
    with pytest.raises(ServiceError) as refused:
        services.ticket_take(line=line, now=at(MONDAY, 9))
    assert refused.value.code == "closed"
    assert refused.value.message == "今日大厅暂停取号：停电检修"
    assert not Ticket.objects.exists()
    # The next day, and another hall's closing, leave the kiosk open.
    tuesday = MONDAY + dt.timedelta(days=1)
    other = make_line(tree.subdistrict_b, "A", make_window(tree.subdistrict_b))
    close_day(tree.subdistrict_b, tuesday, now=at(MONDAY, 8))
    assert services.ticket_take(line=line, now=at(tuesday, 9)).code == "A001"
    with pytest.raises(ServiceError):
        services.ticket_take(line=other, now=at(tuesday, 9))


def test_closed_slots_stop_the_kiosk_for_their_span_only(tree, line):
    close_slots(tree.subdistrict_a, MONDAY, (dt.time(14), dt.time(14, 30)))
    for minute in (0, 45):
        with pytest.raises(ServiceError) as refused:
            services.ticket_take(line=line, now=at(MONDAY, 14, minute))
        # The two closed half hours are one span: the kiosk says when the whole of it ends.
        assert refused.value.message == "大厅暂停取号至 15:00：会议占用大厅"
    assert services.ticket_take(line=line, now=at(MONDAY, 13, 59)).code == "A001"
    assert services.ticket_take(line=line, now=at(MONDAY, 15)).code == "A002"


def test_the_calendar_and_the_hours_are_still_said_first(tree, line):
    close_slots(tree.subdistrict_a, MONDAY, (dt.time(9),))
    with pytest.raises(ServiceError) as refused:
        services.ticket_take(line=line, now=at(MONDAY, 7, 30))
    assert refused.value.message == "现在不是取号时间。工作日 8:00 至 17:00 可以取号。"
    with pytest.raises(ServiceError) as refused:
        services.ticket_take(line=line, now=at(SATURDAY, 9))
    assert "不是工作日" in refused.value.message


def test_the_kiosk_shows_the_closing_instead_of_the_buttons(tree, line):
    hall_open_now(tree.district)
    kiosk = f"/queue/hall/{tree.subdistrict_a.division_code}/"
    device = paired_kiosk(tree.subdistrict_a)
    assert 'name="line"' in device.get(kiosk).content.decode()
    close_day(tree.subdistrict_a, today(), reason="国庆调休，大厅闭厅")
    for url in (kiosk, f"{kiosk}lines/"):
        page = device.get(url).content.decode()
        assert "今日大厅暂停取号：国庆调休，大厅闭厅" in page
        assert 'name="line"' not in page
    response = device.post(kiosk, {"line": line.pk})
    assert "今日大厅暂停取号：国庆调休，大厅闭厅" in response.content.decode()
    assert not Ticket.objects.exists()
