"""At most `appointments.max_open_bookings` open bookings across items: the page, the API and the service say
how many the resident has and that they may cancel one first, and write nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from jiedao.applications.tests.factories import make_item, make_resident, resident_client
from jiedao.appointments import selectors, services
from jiedao.appointments.choices import AppointmentStatus
from jiedao.appointments.models import Appointment
from jiedao.appointments.tests.factories import FRIDAY, WINDOW, at
from jiedao.appointments.tests.test_api import client_of
from jiedao.audit.models import AuditEvent
from jiedao.core.exceptions import ServiceError
from jiedao.core.testing import make_user
from jiedao.parameters.services import parameter_set
from jiedao.sms.models import OutboundMessage

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2025, 9, 29)
LIMIT_OF_3 = (
    "您已有 3 个未办理的预约，同时最多只能有 3 个。请先办理或取消其中一个（我的预约），再预约新的事项。"
)


def book(resident, item, slot, day=MONDAY, now=FRIDAY):
    return services.appointment_book(resident=resident, item=item, day=day, slot_id=slot.pk, now=now)


def written() -> tuple[int, int, int]:
    """Bookings, their audit events and their texts: a refusal adds to none of them."""
    return (
        Appointment.objects.count(),
        AuditEvent.objects.filter(event_name="appointments.appointment.booked").count(),
        OutboundMessage.objects.filter(purpose="appointments.booked").count(),
    )


def test_a_fourth_open_booking_is_refused_until_one_is_cancelled_or_done(item, slots, tree):
    resident = make_resident()
    items = [item, *(make_item(tree.subdistrict_a) for _n in range(3))]
    first, second, _third = (book(resident, items[n], slots[n]) for n in range(3))
    before = written()
    with pytest.raises(ServiceError) as refused:
        book(resident, items[3], slots[3])
    assert (refused.value.code, str(refused.value.message)) == ("too_many", LIMIT_OF_3)
    assert written() == before
    # Cancelled, a place is free again.
    services.appointment_cancel(resident=resident, appointment=first, now=FRIDAY)
    fourth = book(resident, items[3], slots[3])
    # Checked in (办理) no longer counts either; a 爽约 doesn't, it has its own rule.
    with pytest.raises(ServiceError):
        book(resident, items[0], slots[4])
    services.appointment_check_in(
        actor=make_user(tree.subdistrict_a, *WINDOW), code=second.code, now=at(MONDAY, 9)
    )
    tuesday = dt.date(2025, 9, 30)
    assert (
        book(resident, items[0], slots[5], tuesday, now=at(MONDAY, 9, 5)).status == AppointmentStatus.BOOKED
    )
    assert fourth.status == AppointmentStatus.BOOKED


def test_the_limit_is_a_parameter_and_a_lowered_limit_says_both_numbers(item, slots, tree):
    resident = make_resident()
    items = [item, *(make_item(tree.subdistrict_a) for _n in range(2))]
    book(resident, items[0], slots[0])
    book(resident, items[1], slots[1])
    admin = make_user(tree.district, "parameters.manage_systemparameter")
    parameter_set(actor=admin, key="appointments.max_open_bookings", raw_value="1")
    with pytest.raises(ServiceError) as refused:
        book(resident, items[2], slots[2])
    assert str(refused.value.message) == (
        "您已有 2 个未办理的预约，同时最多只能有 1 个。请先办理或取消其中一个（我的预约），再预约新的事项。"
    )
    # Another resident is counted alone.
    assert book(make_resident(), items[2], slots[2]).status == AppointmentStatus.BOOKED


def test_the_page_and_the_api_say_the_limit_and_write_nothing(item, slots, tree):
    resident = make_resident()
    day = selectors.bookable_dates()[0]
    items = [item, *(make_item(tree.subdistrict_a) for _n in range(4))]
    for n in range(3):
        services.appointment_book(resident=resident, item=items[n], day=day, slot_id=slots[n].pk)
    before = written()
    page = resident_client(resident).get(reverse("appointments:book", args=[items[3].pk]))
    assert 'data-testid="too-many"' in page.content.decode()
    assert LIMIT_OF_3 in page.content.decode()  # said before a slot is chosen
    response = resident_client(resident).post(
        reverse("appointments:book", args=[items[3].pk]), {"date": day.isoformat(), "slot": slots[3].pk}
    )
    assert response.status_code == 200
    assert LIMIT_OF_3 in response.content.decode()
    refused = client_of(resident).post(
        "/api/v1/resident/appointments/",
        {"item": items[4].pk, "date": day.isoformat(), "slot": slots[4].pk},
        format="json",
    )
    assert refused.status_code == 400
    assert (refused.json()["code"], refused.json()["detail"]) == ("too_many", LIMIT_OF_3)
    assert written() == before
