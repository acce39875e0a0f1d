"""窗口收件 from a checked-in booking: the booking must be for the item (so of its hall) and not already registered."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from jiedao.applications import services
from jiedao.applications.models import Application
from jiedao.applications.tests.factories import CLERK_PERMISSIONS, PDF, make_item, make_resident, uploads
from jiedao.appointments import services as appointments
from jiedao.appointments.tests.factories import WINDOW, booked_for_today, open_hall
from jiedao.core.exceptions import ServiceError
from jiedao.core.testing import client_for, make_user

pytestmark = pytest.mark.django_db


def checked_in(item, slot):
    appointment = booked_for_today(make_resident(), item, slot)
    appointments.appointment_check_in(actor=make_user(item.org, *WINDOW), code=appointment.code)
    appointment.refresh_from_db()
    return appointment


def register(actor, item, appointment):
    return services.application_register_walk_in(
        actor=actor,
        item=item,
        applicant_name="王小明",
        applicant_id_number="110105197505050017",
        applicant_phone="13800138000",
        uploads=uploads(),
        appointment=appointment,
    )


def test_a_booking_of_another_hall_is_refused_and_nothing_is_registered(tree):
    item_a = make_item(tree.subdistrict_a)
    item_b = make_item(tree.subdistrict_b)
    [slot_b, *_rest] = open_hall(tree.subdistrict_b)
    booking_b = checked_in(item_b, slot_b)
    district_clerk = make_user(tree.district, *WINDOW, *CLERK_PERMISSIONS)  # sees both halls
    with pytest.raises(ServiceError) as refused:
        register(district_clerk, item_a, booking_b)
    assert refused.value.code == "other_hall"
    assert "其他大厅的预约" in str(refused.value.message) and item_a.name in str(refused.value.message)
    assert not Application.objects.exists()


def test_a_booking_already_registered_is_refused_naming_the_application(tree):
    item = make_item(tree.subdistrict_a)
    [slot, *_rest] = open_hall(tree.subdistrict_a)
    booking = checked_in(item, slot)
    clerk = make_user(tree.subdistrict_a, *WINDOW, *CLERK_PERMISSIONS)
    first = register(clerk, item, booking)
    # The booking's check comes before the open-application duplicate check of the same item.
    with pytest.raises(ServiceError) as refused:
        register(clerk, item, booking)
    assert refused.value.code == "appointment_used"
    assert first.tracking_code in str(refused.value.message) and booking.code in str(refused.value.message)
    assert list(Application.objects.values_list("pk", flat=True)) == [first.pk]


def test_a_booking_for_another_item_of_the_same_hall_is_refused_naming_the_booked_item(tree):
    booked_item = make_item(tree.subdistrict_a)
    chosen_item = make_item(tree.subdistrict_a)
    [slot, *_rest] = open_hall(tree.subdistrict_a)
    booking = checked_in(booked_item, slot)
    clerk = make_user(tree.subdistrict_a, *WINDOW, *CLERK_PERMISSIONS)
    with pytest.raises(ServiceError) as refused:
        register(clerk, chosen_item, booking)
    assert refused.value.code == "other_item"
    assert str(refused.value.message) == (
        f"该预约办理的是「{booked_item.name}」，与所选事项「{chosen_item.name}」不一致。"
    )
    assert not Application.objects.exists()


def test_the_walk_in_page_says_the_booking_is_for_another_item_and_registers_nothing(tree):
    booked_item = make_item(tree.subdistrict_a)
    chosen_item = make_item(tree.subdistrict_a)
    [slot, *_rest] = open_hall(tree.subdistrict_a)
    booking = checked_in(booked_item, slot)
    client = client_for(make_user(tree.subdistrict_a, *WINDOW, *CLERK_PERMISSIONS))
    data = {
        "item": str(chosen_item.pk),
        "applicant_name": "王小明",
        "applicant_id_number": "110105197505050017",
        "applicant_phone": "13800138000",
        "other": SimpleUploadedFile("申请表.pdf", PDF, content_type="application/pdf"),
    }
    response = client.post(f"{reverse('applications:walk_in')}?appointment={booking.pk}", data)
    assert response.status_code == 200
    assert f"该预约办理的是「{booked_item.name}」" in response.content.decode()
    assert not Application.objects.exists()


def _moved_back(booking, days: int):
    import datetime as dt

    from jiedao.appointments.models import Appointment

    back = dt.timedelta(days=days)
    Appointment.objects.filter(pk=booking.pk).update(
        date=booking.date - back, starts_at=booking.starts_at - back, ends_at=booking.ends_at - back
    )
    booking.refresh_from_db()
    return booking


def test_a_booking_checked_in_on_another_day_fills_nothing_and_is_refused(tree):
    from jiedao.audit.models import AuditEvent

    item = make_item(tree.subdistrict_a)
    [slot, *_rest] = open_hall(tree.subdistrict_a)
    booking = _moved_back(checked_in(item, slot), 40)
    resident = booking.resident
    clerk = make_user(tree.subdistrict_a, *WINDOW, *CLERK_PERMISSIONS)
    audited = AuditEvent.objects.count()
    page = client_for(clerk).get(f"{reverse('applications:walk_in')}?appointment={booking.pk}")
    text = page.content.decode()
    assert page.status_code == 200 and 'data-testid="walk-in-appointment-ignored"' in text
    assert resident.id_number not in text and resident.id_number_masked not in text
    assert resident.phone not in text and booking.name not in text
    assert AuditEvent.objects.count() == audited
    with pytest.raises(ServiceError) as refused:
        register(clerk, item, booking)
    assert refused.value.code == "not_today"
    assert str(refused.value.message) == "该预约不是今天的预约，不能用于窗口收件。"
    assert not Application.objects.exists()


def test_choosing_another_item_says_so_before_the_form_and_offers_to_drop_the_booking(tree):
    booked_item = make_item(tree.subdistrict_a)
    chosen_item = make_item(tree.subdistrict_a)
    [slot, *_rest] = open_hall(tree.subdistrict_a)
    booking = checked_in(booked_item, slot)
    client = client_for(make_user(tree.subdistrict_a, *WINDOW, *CLERK_PERMISSIONS))
    url = reverse("applications:walk_in")
    # 更换事项: the picker sends the chosen item with the booking.
    page = client.get(url, {"item": chosen_item.pk, "appointment": booking.pk}).content.decode()
    notice = page.split('data-testid="walk-in-other-item">')[1].split("</div>")[0]
    assert f"该预约办理的是「{booked_item.name}」，与所选事项「{chosen_item.name}」不一致。" in notice
    assert 'type="file"' not in page  # no materials chosen only to be refused
    drop = notice.split('data-testid="walk-in-drop-appointment" href="')[1].split('"')[0]
    assert drop == f"{url}?item={chosen_item.pk}" and "不关联预约，直接收件" in notice
    form = client.get(drop).content.decode()
    assert 'type="file"' in form and "walk-in-other-item" not in form
    data = {
        "item": str(chosen_item.pk),
        "applicant_name": "王小明",
        "applicant_id_number": "110105197505050017",
        "applicant_phone": "13800138000",
        "other": SimpleUploadedFile("申请表.pdf", PDF, content_type="application/pdf"),
    }
    client.post(drop, data)
    application = Application.objects.get(item=chosen_item)
    assert application.appointment_id is None
