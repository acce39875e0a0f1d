"""/api/v1/resident/appointments/: what a mini-program shows and books, by the resident's own token only."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient

from jiedao.applications import services as applications
from jiedao.applications.tests.factories import make_item, make_resident
from jiedao.appointments import selectors, services
from jiedao.appointments.choices import AppointmentStatus
from jiedao.appointments.models import Appointment, Slot
from jiedao.appointments.tests.factories import WINDOW, open_hall
from jiedao.core.testing import api_client_for, make_user
from jiedao.workcalendar import services as workcalendar

pytestmark = pytest.mark.django_db

BASE = "/api/v1/resident/appointments/"


def client_of(resident) -> APIClient:
    token, _record = applications.resident_token_issue(resident=resident)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api


@pytest.fixture
def item(tree):
    return make_item(tree.subdistrict_a)


@pytest.fixture
def slots(tree):
    return open_hall(tree.subdistrict_a, capacity=1)


def test_free_slots_booking_listing_and_cancelling(item, slots):
    resident = make_resident()
    api = client_of(resident)
    free = api.get(f"{BASE}slots/", {"item": item.pk})
    assert free.status_code == 200
    body = free.json()
    day = body["date"]
    assert day == body["dates"][0] == selectors.bookable_dates()[0].isoformat()
    assert body["slots"][0] == {
        "id": slots[0].pk,
        "start": "09:00",
        "end": "09:30",
        "capacity": 1,
        "remaining": 1,
        "bookable": True,
        "closed": False,
        "closed_reason": "",
    }
    booked = api.post(BASE, {"item": item.pk, "date": day, "slot": slots[0].pk}, format="json")
    assert booked.status_code == 201, booked.json()
    assert booked.json()["status"] == "booked" and booked.json()["cancellable"] is True
    assert api.get(f"{BASE}slots/", {"item": item.pk, "date": day}).json()["slots"][0]["remaining"] == 0
    listed = api.get(BASE).json()
    assert [a["code"] for a in listed["results"]] == [booked.json()["code"]]
    cancelled = api.post(f"{BASE}{booked.json()['id']}/cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["status_display"] == "已取消"


def test_refusals_come_with_their_code_and_chinese_message(item, slots):
    day = selectors.bookable_dates()[0].isoformat()
    client_of(make_resident()).post(BASE, {"item": item.pk, "date": day, "slot": slots[0].pk}, format="json")
    full = client_of(make_resident()).post(
        BASE, {"item": item.pk, "date": day, "slot": slots[0].pk}, format="json"
    )
    assert full.status_code == 400
    assert full.json()["code"] == "full" and full.json()["detail"] == "该时段已约满，请选择其他时段。"
    assert Appointment.objects.count() == 1


def test_another_residents_booking_is_404_and_staff_credentials_are_refused(item, slots, tree):
    day = selectors.bookable_dates()[0]
    theirs = services.appointment_book(resident=make_resident(), item=item, day=day, slot_id=slots[0].pk)
    assert client_of(make_resident()).post(f"{BASE}{theirs.pk}/cancel/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == AppointmentStatus.BOOKED
    assert api_client_for(make_user(tree.subdistrict_a, *WINDOW)).get(BASE).status_code == 401
    assert APIClient().get(BASE).status_code == 401


def test_slots_of_a_day_that_cannot_be_booked_are_refused_like_a_booking(item, slots):
    api = client_of(make_resident())
    dates = selectors.bookable_dates()
    day_off = dates[0] + dt.timedelta(days=1)
    while workcalendar.is_workday(day_off):
        day_off += dt.timedelta(days=1)
    refused = api.get(f"{BASE}slots/", {"item": item.pk, "date": day_off.isoformat()})
    assert refused.status_code == 400
    assert refused.json()["code"] == "not_workday"
    assert refused.json()["errors"]["date"] == [
        f"{day_off:%Y-%m-%d}（{workcalendar.weekday_name(day_off)}） 不是工作日，不办理预约。"
    ]
    beyond = workcalendar.add_working_days(dates[-1], 1)
    refused = api.get(f"{BASE}slots/", {"item": item.pk, "date": beyond.isoformat()})
    assert refused.status_code == 400 and refused.json()["code"] == "out_of_range"
    assert refused.json()["errors"]["date"] == [
        f"只能预约 {dates[0]:%Y-%m-%d} 至 {dates[-1]:%Y-%m-%d} 的工作日。"
    ]
    assert api.get(f"{BASE}slots/", {"item": item.pk, "date": dates[-1].isoformat()}).status_code == 200


def test_booking_a_slot_deleted_since_it_was_listed_is_refused(item, slots):
    day = selectors.bookable_dates()[0].isoformat()
    gone = slots[0].pk
    Slot.objects.filter(pk=gone).delete()
    refused = client_of(make_resident()).post(
        BASE, {"item": item.pk, "date": day, "slot": gone}, format="json"
    )
    assert refused.status_code == 400 and refused.json()["code"] == "closed"
    assert refused.json()["errors"]["slot"] == ["该时段不开放预约，请选择其他时段。"]


@pytest.mark.parametrize("far", ["1900-01-05", "2150-01-05"])
def test_slots_of_a_far_year_are_out_of_range_and_open_no_alert(item, slots, far):
    from jiedao.core.models import SystemAlert

    dates = selectors.bookable_dates()
    refused = client_of(make_resident()).get(f"{BASE}slots/", {"item": item.pk, "date": far})
    assert refused.status_code == 400 and refused.json()["code"] == "out_of_range"
    assert refused.json()["errors"]["date"] == [
        f"只能预约 {dates[0]:%Y-%m-%d} 至 {dates[-1]:%Y-%m-%d} 的工作日。"
    ]
    assert not SystemAlert.objects.exists()
