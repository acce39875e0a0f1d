"""Exploratory-testing fixes of 预约办理: 窗口收件 after 签到, the hall's and the resident's pages."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from jiedao.applications.tests.factories import CLERK_PERMISSIONS, PDF, make_item, make_resident
from jiedao.appointments import services
from jiedao.appointments.tests.factories import WINDOW, booked_for_today, open_hall
from jiedao.core.testing import client_for, make_user

pytestmark = pytest.mark.django_db


def checked_in(resident, item, slot):
    appointment = booked_for_today(resident, item, slot)
    services.appointment_check_in(actor=make_user(item.org, *WINDOW), code=appointment.code)
    appointment.refresh_from_db()
    return appointment


class TestWalkInAfterCheckIn:
    def test_the_walk_in_form_is_filled_from_the_checked_in_booking(self, item, slots, tree):
        resident = make_resident(name="王小明")
        appointment = checked_in(resident, item, slots[-1])
        client = client_for(make_user(tree.subdistrict_a, *WINDOW, *CLERK_PERMISSIONS))
        today = client.get(reverse("appointments:today")).content.decode()
        link = f"{reverse('applications:walk_in')}?appointment={appointment.pk}"
        assert link in today and resident.phone not in today
        page = client.get(link).content.decode()
        assert f"<strong>{item.name}</strong>" in page
        assert 'value="王小明"' in page
        # Masked, as staff see them everywhere else; the full numbers are not on the page.
        assert f'value="{resident.phone_masked}"' in page and resident.phone not in page
        assert f'value="{resident.id_number_masked}"' in page and resident.id_number not in page
        assert appointment.code in page

    def test_the_application_registered_from_the_booking_keeps_it(self, item, slots, tree):
        from jiedao.applications.models import Application

        resident = make_resident(name="王小明")
        appointment = checked_in(resident, item, slots[-1])
        client = client_for(make_user(tree.subdistrict_a, *WINDOW, *CLERK_PERMISSIONS))
        url = f"{reverse('applications:walk_in')}?appointment={appointment.pk}"
        data = {
            "item": str(item.pk),
            "applicant_name": "王小明",
            "applicant_id_number": resident.id_number,
            "applicant_phone": resident.phone,
            "other": SimpleUploadedFile("申请表.pdf", PDF, content_type="application/pdf"),
        }
        response = client.post(url, data, follow=True)
        application = Application.objects.get(item=item)
        assert application.appointment_id == appointment.pk
        assert (application.applicant_id_number, application.applicant_phone) == (
            resident.id_number,
            resident.phone,
        )
        shown = response.content.decode().split('data-testid="appointment">')[1].split("</dd>")[0]
        assert appointment.code in shown and "已签到" in shown

    def test_the_masked_numbers_left_as_filled_in_register_the_bookers_full_numbers(self, item, slots, tree):
        from jiedao.applications.models import Application

        resident = make_resident(name="王小明")
        appointment = checked_in(resident, item, slots[-1])
        client = client_for(make_user(tree.subdistrict_a, *WINDOW, *CLERK_PERMISSIONS))
        url = f"{reverse('applications:walk_in')}?appointment={appointment.pk}"
        data = {
            "item": str(item.pk),
            "applicant_name": "王小明",
            "applicant_id_number": resident.id_number_masked,
            "applicant_phone": resident.phone_masked,
            "other": SimpleUploadedFile("申请表.pdf", PDF, content_type="application/pdf"),
        }
        client.post(url, data)
        application = Application.objects.get(item=item)
        assert application.applicant_id_number == resident.id_number
        assert application.applicant_phone == resident.phone
        # Typed over, the visitor's own number is kept (a booking made with another phone).
        Application.objects.all().delete()
        again = SimpleUploadedFile("申请表.pdf", PDF, content_type="application/pdf")
        client.post(url, {**data, "applicant_phone": "13900139000", "other": again})
        assert Application.objects.get(item=item).applicant_phone == "13900139000"

    def test_a_booking_not_checked_in_or_out_of_scope_is_refused_by_the_service(self, item, slots, tree):
        from jiedao.applications import services as applications
        from jiedao.applications.tests.factories import uploads
        from jiedao.core.exceptions import OutOfScope, ServiceError

        clerk = make_user(tree.subdistrict_a, *WINDOW, *CLERK_PERMISSIONS)
        booked = booked_for_today(make_resident(), item, slots[-1])
        fields = {
            "actor": clerk,
            "item": item,
            "applicant_name": "王小明",
            "applicant_id_number": "110105197505050017",
            "applicant_phone": "13800138000",
            "uploads": uploads(),
        }
        with pytest.raises(ServiceError) as refused:
            applications.application_register_walk_in(**fields, appointment=booked)
        assert refused.value.code == "not_checked_in"
        other_item = make_item(tree.subdistrict_b)
        [other_slot, *_rest] = open_hall(tree.subdistrict_b)
        theirs = checked_in(make_resident(), other_item, other_slot)
        with pytest.raises(OutOfScope):
            applications.application_register_walk_in(**fields, appointment=theirs)

    def test_another_halls_booking_fills_nothing(self, item, slots, tree):
        other_item = make_item(tree.subdistrict_b)
        [other_slot, *_rest] = open_hall(tree.subdistrict_b)
        resident = make_resident(name="赵其他")
        theirs = checked_in(resident, other_item, other_slot)
        client = client_for(make_user(tree.subdistrict_a, *WINDOW, *CLERK_PERMISSIONS))
        page = client.get(f"{reverse('applications:walk_in')}?appointment={theirs.pk}")
        text = page.content.decode()
        assert page.status_code == 200
        assert "赵其他" not in text and resident.phone not in text and other_item.name not in text


def test_the_hall_cancellations_name_who_cancelled_by_their_name(item, slots, tree):
    appointment = booked_for_today(make_resident(), item, slots[-1])
    canceller = make_user(tree.subdistrict_a, "appointments.cancel_appointment", username="chuangkou7")
    canceller.full_name = "周晓梅"
    canceller.save()
    services.appointment_cancel_by_hall(actor=canceller, appointment=appointment, reason="系统维护")
    page = client_for(make_user(tree.subdistrict_a, *WINDOW)).get(reverse("appointments:today"))
    table = page.content.decode().split('data-testid="hall-cancelled"')[1].split("</table>")[0]
    assert "周晓梅" in table and "chuangkou7" not in table


class TestMyAppointmentsOrder:
    def test_upcoming_bookings_come_first_soonest_first_then_the_rest_newest_first(self, item, slots, tree):
        from jiedao.applications.tests.factories import resident_client
        from jiedao.appointments import selectors
        from jiedao.appointments.models import Appointment
        from jiedao.appointments.tests.test_api import client_of

        resident = make_resident()
        first_day, second_day = selectors.bookable_dates()[:2]
        other = make_item(tree.subdistrict_a)
        third = make_item(tree.subdistrict_a)
        later = services.appointment_book(resident=resident, item=item, day=second_day, slot_id=slots[0].pk)
        sooner = services.appointment_book(resident=resident, item=other, day=first_day, slot_id=slots[3].pk)
        cancelled = services.appointment_book(
            resident=resident, item=third, day=second_day, slot_id=slots[5].pk
        )
        services.appointment_cancel(resident=resident, appointment=cancelled)
        past = checked_in(resident, make_item(tree.subdistrict_a), slots[-1])
        Appointment.objects.filter(pk=past.pk).update(
            date=past.date.replace(year=past.date.year - 1),
            starts_at=past.starts_at.replace(year=past.starts_at.year - 1),
            ends_at=past.ends_at.replace(year=past.ends_at.year - 1),
        )
        expected = [sooner.code, later.code, cancelled.code, past.code]
        page = resident_client(resident).get(reverse("appointments:mine")).content.decode()
        assert sorted(expected, key=page.index) == expected
        listed = client_of(resident).get("/api/v1/resident/appointments/").json()
        rows = listed["results"] if isinstance(listed, dict) else listed
        assert [row["code"] for row in rows] == expected

    def test_a_booking_whose_slot_is_in_progress_is_among_the_upcoming_ones(self, item, slots, tree):
        import datetime as dt

        from django.utils import timezone

        from jiedao.applications.tests.factories import resident_client
        from jiedao.appointments import selectors
        from jiedao.appointments.models import Appointment
        from jiedao.appointments.tests.test_api import client_of

        resident = make_resident()
        first_day, second_day = selectors.bookable_dates()[:2]
        cancelled = services.appointment_book(
            resident=resident, item=item, day=second_day, slot_id=slots[0].pk
        )
        services.appointment_cancel(resident=resident, appointment=cancelled)
        other = make_item(tree.subdistrict_a)
        going_on = services.appointment_book(
            resident=resident, item=other, day=first_day, slot_id=slots[1].pk
        )
        Appointment.objects.filter(pk=going_on.pk).update(
            starts_at=timezone.now() - dt.timedelta(minutes=10),
            ends_at=timezone.now() + dt.timedelta(minutes=20),
        )
        expected = [going_on.code, cancelled.code]
        page = resident_client(resident).get(reverse("appointments:mine")).content.decode()
        assert sorted(expected, key=page.index) == expected
        listed = client_of(resident).get("/api/v1/resident/appointments/").json()
        rows = listed["results"] if isinstance(listed, dict) else listed
        assert [row["code"] for row in rows] == expected


def test_a_booking_over_the_limit_says_the_limit_once(item, slots, tree):
    from jiedao.applications.tests.factories import resident_client
    from jiedao.appointments import selectors

    resident = make_resident()
    day = selectors.bookable_dates()[0]
    items = [item, *(make_item(tree.subdistrict_a) for _n in range(3))]
    for n in range(3):
        services.appointment_book(resident=resident, item=items[n], day=day, slot_id=slots[n].pk)
    response = resident_client(resident).post(
        reverse("appointments:book", args=[items[3].pk]), {"date": day.isoformat(), "slot": slots[3].pk}
    )
    text = response.content.decode()
    assert text.count("同时最多只能有 3 个") == 1


class TestOverlappingBookings:
    def test_a_second_item_at_the_same_time_is_refused_and_nothing_written(self, item, slots, tree):
        from jiedao.appointments import selectors
        from jiedao.appointments.models import Appointment
        from jiedao.appointments.tests.test_api import client_of
        from jiedao.core.exceptions import ServiceError

        resident = make_resident()
        day = selectors.bookable_dates()[0]
        ten = next(slot for slot in slots if str(slot) == "10:00–10:30")
        first = services.appointment_book(resident=resident, item=item, day=day, slot_id=ten.pk)
        other = make_item(tree.subdistrict_a, window_address="甲街道便民服务中心 6 号窗口")
        with pytest.raises(ServiceError) as refused:
            services.appointment_book(resident=resident, item=other, day=day, slot_id=ten.pk)
        assert refused.value.code == "overlap"
        message = str(refused.value.message)
        assert f"{day:%Y-%m-%d} 10:00–10:30" in message and first.code in message and "重叠" in message
        response = client_of(resident).post(
            "/api/v1/resident/appointments/",
            {"item": other.pk, "date": day.isoformat(), "slot": ten.pk},
            format="json",
        )
        assert response.status_code == 400 and response.json()["code"] == "overlap"
        from jiedao.applications.tests.factories import resident_client

        page = resident_client(resident).post(
            reverse("appointments:book", args=[other.pk]), {"date": day.isoformat(), "slot": ten.pk}
        )
        assert "与所选时段时间重叠" in page.content.decode()
        assert Appointment.objects.filter(resident=resident).count() == 1
        half_past = next(slot for slot in slots if str(slot) == "10:30–11:00")
        assert services.appointment_book(resident=resident, item=other, day=day, slot_id=half_past.pk)

    def test_an_hour_long_slot_of_another_hall_overlapping_half_an_hour_is_refused(self, item, slots, tree):
        from jiedao.appointments import selectors
        from jiedao.core.exceptions import ServiceError

        resident = make_resident()
        day = selectors.bookable_dates()[0]
        half_past = next(slot for slot in slots if str(slot) == "10:30–11:00")
        services.appointment_book(resident=resident, item=item, day=day, slot_id=half_past.pk)
        hour_slots = open_hall(tree.subdistrict_b, minutes=60)
        ten_to_eleven = next(slot for slot in hour_slots if str(slot) == "10:00–11:00")
        with pytest.raises(ServiceError) as refused:
            services.appointment_book(
                resident=resident, item=make_item(tree.subdistrict_b), day=day, slot_id=ten_to_eleven.pk
            )
        assert refused.value.code == "overlap"


class TestBookingPageDate:
    def _page(self, item, date: str) -> str:
        from jiedao.applications.tests.factories import resident_client

        url = reverse("appointments:book", args=[item.pk])
        return resident_client(make_resident()).get(url, {"date": date}).content.decode()

    def test_a_day_off_in_the_address_is_said_and_the_date_shown_named(self, item, slots):
        import datetime as dt

        from jiedao.appointments import selectors
        from jiedao.workcalendar import services as workcalendar

        first = selectors.bookable_dates()[0]
        day_off = next(
            first + dt.timedelta(days=n)
            for n in range(1, 30)
            if not workcalendar.is_workday(first + dt.timedelta(days=n))
        )
        page = self._page(item, day_off.isoformat())
        notice = page.split('data-testid="date-not-bookable">')[1].split("</div>")[0]
        assert (
            f"{day_off:%Y-%m-%d}" in notice
            and "不是工作日" in notice
            and f"下面显示的是 {first:%Y-%m-%d} 的时段" in notice
        )

    def test_a_past_day_in_the_address_is_said(self, item, slots):
        import datetime as dt

        from jiedao.appointments import selectors

        first = selectors.bookable_dates()[0]
        past = selectors.today() - dt.timedelta(days=7)
        page = self._page(item, past.isoformat())
        assert 'data-testid="date-not-bookable"' in page
        assert f"下面显示的是 {first:%Y-%m-%d} 的时段" in page

    def test_a_bookable_day_shows_no_notice(self, item, slots):
        from jiedao.appointments import selectors

        page = self._page(item, selectors.bookable_dates()[1].isoformat())
        assert 'data-testid="date-not-bookable"' not in page

    @pytest.mark.parametrize("far", ["1900-01-05", "2150-01-05", "2099-01-05"])
    def test_a_far_year_in_the_address_is_said_without_error_or_alert(self, item, slots, far):
        from jiedao.appointments import selectors
        from jiedao.core.models import SystemAlert

        first, last = selectors.bookable_dates()[0], selectors.bookable_dates()[-1]
        before = SystemAlert.objects.count()
        page = self._page(item, far)
        notice = page.split('data-testid="date-not-bookable">')[1].split("</div>")[0]
        assert f"只能预约 {first:%Y-%m-%d} 至 {last:%Y-%m-%d} 的工作日。" in notice
        assert f"下面显示的是 {first:%Y-%m-%d} 的时段" in notice
        assert SystemAlert.objects.count() == before  # no alert asking to enter a year nobody can book

    def test_a_far_year_sent_with_the_form_is_refused_on_the_page(self, item, slots):
        from jiedao.applications.tests.factories import resident_client
        from jiedao.appointments.models import Appointment
        from jiedao.core.models import SystemAlert

        url = reverse("appointments:book", args=[item.pk])
        before = SystemAlert.objects.count()
        response = resident_client(make_resident()).post(url, {"date": "2150-01-05", "slot": slots[0].pk})
        assert response.status_code == 200
        assert "只能预约" in response.content.decode()
        assert not Appointment.objects.exists() and SystemAlert.objects.count() == before
