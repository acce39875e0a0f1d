"""预约办理 as residents and the window meet it: the places of a slot, the rules that refuse a booking (each
with its Chinese message and nothing written), cancelling, check-in at the window and 爽约."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import translation

from jiedao.applications.tests.factories import make_item, make_resident, resident_client
from jiedao.appointments import selectors, services
from jiedao.appointments.choices import AppointmentStatus
from jiedao.appointments.models import Appointment, Slot
from jiedao.appointments.tests.factories import FRIDAY, HALL_ADMIN, WINDOW, at, booked_for_today, open_hall
from jiedao.audit.models import AuditEvent
from jiedao.core.exceptions import OutOfScope, ServiceError, ValidationFailed
from jiedao.core.testing import ScopedModelContract, client_for, make_user
from jiedao.sms.models import OutboundMessage
from jiedao.workcalendar.services import CHINA_TZ

pytestmark = pytest.mark.django_db


def book(resident, item, slot, day, now=FRIDAY):
    return services.appointment_book(resident=resident, item=item, day=day, slot_id=slot.pk, now=now)


def refusal(call) -> str:
    with pytest.raises(ServiceError) as refused:
        call()
    return str(refused.value.message)


def test_bookable_days_follow_the_calendar_holidays_closed_and_make_up_days_open(slots):
    assert selectors.bookable_dates(now=FRIDAY) == [
        dt.date(2025, 9, 28),  # Sunday, 调休上班
        dt.date(2025, 9, 29),
        dt.date(2025, 9, 30),
        dt.date(2025, 10, 9),  # after the holiday
        dt.date(2025, 10, 10),
        dt.date(2025, 10, 11),  # Saturday, 调休上班
        dt.date(2025, 10, 13),
    ]


def test_the_schedule_cuts_the_day_into_slots(slots):
    assert [str(slot) for slot in slots][:2] == ["09:00–09:30", "09:30–10:00"]
    assert len(slots) == 6 + 7
    assert {slot.capacity for slot in slots} == {2}


def test_a_booking_gives_a_code_texted_to_the_resident_and_takes_a_place(item, slots):
    resident = make_resident()
    day = dt.date(2025, 9, 29)
    appointment = book(resident, item, slots[0], day)
    assert appointment.status == AppointmentStatus.BOOKED
    assert appointment.starts_at == at(day, 9)
    text = OutboundMessage.objects.get(purpose="appointments.booked")
    assert appointment.code in text.body
    # The date as every SMS writes it, with the weekday a resident plans the visit by.
    assert "：2025年9月29日（星期一） 09:00–09:30，地点：甲街道便民服务中心 2 号窗口" in text.body
    places = {p.slot.pk: p for p in selectors.slot_places(item, day, now=FRIDAY)}
    assert places[slots[0].pk].remaining == 1
    assert places[slots[1].pk].remaining == 2
    assert AuditEvent.objects.filter(
        event_name="appointments.appointment.booked", target_id=str(appointment.pk)
    ).exists()


def test_the_booking_text_is_chinese_whatever_language_the_resident_browses_in(item, slots):
    """The gateway's templates are registered in Chinese: a booking made on the English pages is texted
    as any other, weekday included."""
    with translation.override("en"):
        appointment = book(make_resident(), item, slots[0], dt.date(2025, 9, 30))
    text = OutboundMessage.objects.get(purpose="appointments.booked")
    assert text.body.startswith(f"您已预约办理“{item.name}”：2025年9月30日（星期二） 09:00–09:30，")
    assert appointment.code in text.body


def test_a_full_slot_is_refused(item, slots):
    day = dt.date(2025, 9, 29)
    book(make_resident(), item, slots[0], day)
    book(make_resident(), item, slots[0], day)
    late = make_resident()
    assert refusal(lambda: book(late, item, slots[0], day)) == "该时段已约满，请选择其他时段。"
    assert not Appointment.objects.filter(resident=late).exists()
    book(late, item, slots[0], dt.date(2025, 9, 30))  # the same time on another day has its own places


def test_one_open_booking_per_item(item, slots):
    resident = make_resident()
    first = book(resident, item, slots[0], dt.date(2025, 9, 29))
    message = refusal(lambda: book(resident, item, slots[3], dt.date(2025, 9, 30)))
    assert message == (
        f"您已预约“{item.name}”（2025-09-29 09:00–09:30，预约码 {first.code}），如需改期请先取消原预约。"
    )
    services.appointment_cancel(resident=resident, appointment=first, now=FRIDAY)
    book(resident, item, slots[3], dt.date(2025, 9, 30))  # once cancelled, another day may be booked


def test_a_holiday_a_weekend_and_a_day_out_of_range_are_refused(item, slots):
    resident = make_resident()
    assert refusal(lambda: book(resident, item, slots[0], dt.date(2025, 10, 2))) == (
        "2025-10-02（星期四） 不是工作日，不办理预约。"
    )
    assert refusal(lambda: book(resident, item, slots[0], dt.date(2025, 9, 27))) == (
        "2025-09-27（星期六） 不是工作日，不办理预约。"
    )
    assert refusal(lambda: book(resident, item, slots[0], dt.date(2025, 10, 14))) == (
        "只能预约 2025-09-28 至 2025-10-13 的工作日。"
    )
    assert refusal(lambda: book(resident, item, slots[6], dt.date(2025, 9, 26))) == (
        "只能预约 2025-09-28 至 2025-10-13 的工作日。"  # today is not bookable: from the next working day
    )
    assert not Appointment.objects.exists()


def test_a_slot_already_begun_is_refused(item, slots):
    resident = make_resident()
    assert (
        refusal(lambda: book(resident, item, slots[0], dt.date(2025, 9, 26)))
        == "该时段已开始，请选择其他时段。"
    )
    assert not Appointment.objects.exists()


def test_three_no_shows_in_90_days_stop_booking_for_30_days_saying_until_when(item, slots):
    resident = make_resident()
    other_items = [make_item(item.org) for _n in range(2)]
    for booked_item, day in zip(
        [item, *other_items], (dt.date(2025, 9, 28), dt.date(2025, 9, 29), dt.date(2025, 9, 30)), strict=True
    ):
        book(resident, booked_item, slots[0], day)
    assert services.no_shows_mark(now=at(dt.date(2025, 9, 30), 12)) == 3
    assert set(Appointment.objects.values_list("status", flat=True)) == {AppointmentStatus.NO_SHOW}
    after = at(dt.date(2025, 10, 9), 10)
    message = refusal(lambda: book(resident, item, slots[0], dt.date(2025, 10, 10), now=after))
    assert message == "您在 90 天内爽约已达 3 次，2025-10-30 前不能预约。"
    # From 30 October on, booking is open again.
    book(resident, item, slots[0], dt.date(2025, 10, 31), now=at(dt.date(2025, 10, 30), 10))


def test_cancel_until_the_slot_starts(item, slots):
    resident = make_resident()
    day = dt.date(2025, 9, 29)
    appointment = book(resident, item, slots[0], day)
    message = refusal(
        lambda: services.appointment_cancel(resident=resident, appointment=appointment, now=at(day, 9))
    )
    assert message == "预约时段已开始，不能取消。"
    cancelled = services.appointment_cancel(resident=resident, appointment=appointment, now=at(day, 8, 59))
    assert cancelled.status == AppointmentStatus.CANCELLED
    [text] = OutboundMessage.objects.filter(purpose="appointments.cancelled")
    assert (
        text.body
        == f"您预约办理“{item.name}”（2025年9月29日（星期一） 09:00–09:30，预约码 {appointment.code}）已取消。"
    )
    # The place is free again.
    assert {p.slot.pk: p.remaining for p in selectors.slot_places(item, day, now=FRIDAY)}[slots[0].pk] == 2
    with pytest.raises(OutOfScope):
        services.appointment_cancel(resident=make_resident(), appointment=appointment, now=FRIDAY)


def test_no_shows_are_marked_after_the_slot_end_and_the_grace(item, slots, tree):
    day = dt.date(2025, 9, 29)
    late, came = make_resident(), make_resident()
    missed = book(late, item, slots[0], day)
    arrived = book(came, item, slots[0], day)
    window = make_user(tree.subdistrict_a, *WINDOW)
    services.appointment_check_in(actor=window, code=arrived.code, now=at(day, 9, 5))
    assert services.no_shows_mark(now=at(day, 9, 44)) == 0  # 09:30 + 15 minutes' grace not yet over
    assert services.no_shows_mark(now=at(day, 9, 45)) == 1
    missed.refresh_from_db()
    arrived.refresh_from_db()
    assert (missed.status, arrived.status) == (AppointmentStatus.NO_SHOW, AppointmentStatus.CHECKED_IN)
    assert (
        AuditEvent.objects.filter(event_name="appointments.appointment.no_show", actor_name="system").count()
        == 1
    )
    with pytest.raises(ValidationFailed) as refused:  # too late: the window registers without the booking
        services.appointment_check_in(actor=window, code=missed.code, now=at(day, 9, 50))
    assert refused.value.errors["code"] == ["该预约已记爽约，不能签到。"]


def test_check_in_only_today_and_only_at_the_own_hall(item, slots, tree):
    day = dt.date(2025, 9, 29)
    appointment = book(make_resident(), item, slots[0], day)
    window = make_user(tree.subdistrict_a, *WINDOW)
    other_hall = make_user(tree.subdistrict_b, *WINDOW)
    with pytest.raises(ValidationFailed) as refused:
        services.appointment_check_in(actor=window, code=appointment.code, now=FRIDAY)
    assert refused.value.errors["code"] == ["该预约的日期是 2025-09-29（星期一），不是今天。"]
    with pytest.raises(ValidationFailed) as refused:
        services.appointment_check_in(actor=other_hall, code=appointment.code, now=at(day, 9))
    assert refused.value.errors["code"] == ["没有这个预约码，或不是本中心的预约。"]
    done = services.appointment_check_in(actor=window, code=appointment.code.lower(), now=at(day, 9))
    assert (done.status, done.checked_in_by) == (AppointmentStatus.CHECKED_IN, window)
    with pytest.raises(ValidationFailed) as refused:
        services.appointment_check_in(actor=window, code=appointment.code, now=at(day, 9, 1))
    assert refused.value.errors["code"] == ["该预约已签到，不能签到。"]


# --- pages ----------------------------------------------------------------------------------------------


def test_resident_books_on_the_page_and_cancels(item, slots):
    resident = make_resident()
    client = resident_client(resident)
    day = selectors.bookable_dates()[0]
    page = client.get(reverse("appointments:book", args=[item.pk]), {"date": day.isoformat()})
    text = page.content.decode()
    assert "余 2 个" in text and "09:00–09:30" in text
    response = client.post(
        reverse("appointments:book", args=[item.pk]),
        {"date": day.isoformat(), "slot": slots[0].pk},
        follow=True,
    )
    appointment = Appointment.objects.get(resident=resident)
    assert f"预约成功，预约码：{appointment.code}。" in response.content.decode()
    assert appointment.code in client.get(reverse("appointments:mine")).content.decode()
    response = client.post(reverse("appointments:cancel", args=[appointment.pk]), follow=True)
    assert f"已取消预约 {appointment.code}。" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED


def test_the_confirmation_page_names_the_kiosk_where_the_hall_has_one_but_the_sms_keeps_its_text(
    item, slots, tree
):
    """Where the hall has a registered 取号机, the page also says the booking code takes a number there; the
    SMS text, registered with the gateway, stays as it is. Without one, the page says only 到窗口签到."""
    from jiedao.queueing.tests.factories import paired_kiosk

    day = selectors.bookable_dates()[0]

    def booked_page() -> str:
        client = resident_client(make_resident())
        url = reverse("appointments:book", args=[item.pk])
        return client.post(url, {"date": day.isoformat(), "slot": slots[1].pk}, follow=True).content.decode()

    page = booked_page()
    assert "请按时携带身份证件到窗口签到。" in page and "取号机" not in page
    paired_kiosk(tree.subdistrict_a)
    page = booked_page()
    assert "请按时携带身份证件到窗口签到，或在取号机输入预约码取号。" in page
    sms = OutboundMessage.objects.order_by("pk").last().body
    assert "到窗口签到" in sms and "取号机" not in sms


def test_the_page_says_a_slot_is_full_and_writes_nothing(item, tree):
    [slot, *_rest] = open_hall(tree.subdistrict_a, capacity=1)
    day = selectors.bookable_dates()[0]
    services.appointment_book(resident=make_resident(), item=item, day=day, slot_id=slot.pk)
    late = make_resident()
    response = resident_client(late).post(
        reverse("appointments:book", args=[item.pk]), {"date": day.isoformat(), "slot": slot.pk}
    )
    assert "该时段已约满，请选择其他时段。" in response.content.decode()
    assert not Appointment.objects.filter(resident=late).exists()


def test_another_residents_booking_cannot_be_cancelled(item, slots):
    day = selectors.bookable_dates()[0]
    appointment = services.appointment_book(resident=make_resident(), item=item, day=day, slot_id=slots[0].pk)
    response = resident_client(make_resident()).post(reverse("appointments:cancel", args=[appointment.pk]))
    assert response.status_code == 404
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED


def test_an_item_of_a_hall_without_slots_says_so(tree):
    item = make_item(tree.subdistrict_b)
    response = resident_client(make_resident()).get(reverse("appointments:book", args=[item.pk]))
    assert "该事项的办理大厅暂未开放网上预约，请直接到窗口办理。" in response.content.decode()


def test_staff_cannot_use_the_resident_pages(item, tree):
    client = client_for(make_user(tree.subdistrict_a, *WINDOW))
    assert client.get(reverse("appointments:mine")).status_code == 403


def test_window_sees_todays_bookings_of_its_hall_masked_and_checks_in(item, tree, slots):
    """Bookings of today were made on the working day before (a slot begun cannot be booked)."""
    resident = make_resident(name="王小明")
    other_item = make_item(tree.subdistrict_b)
    [other_slot, *_rest] = open_hall(tree.subdistrict_b)
    mine = booked_for_today(resident, item, slots[-1])
    theirs = booked_for_today(make_resident(name="赵其他"), other_item, other_slot)
    client = client_for(make_user(tree.subdistrict_a, *WINDOW))
    text = client.get(reverse("appointments:today")).content.decode()
    assert "王小明" in text and mine.code in text
    assert "赵其他" not in text and theirs.code not in text
    assert resident.phone not in text and resident.phone_masked in text
    assert resident.id_number not in text and resident.id_number_masked in text
    response = client.post(reverse("appointments:check_in"), {"code": theirs.code}, follow=True)
    assert "没有这个预约码，或不是本中心的预约。" in response.content.decode()
    response = client.post(reverse("appointments:check_in"), {"code": mine.code}, follow=True)
    text = response.content.decode()
    assert f"王小明 已签到（{item.name}，16:30–17:00）。" in text
    assert (
        f"{reverse('applications:walk_in')}?appointment={mine.pk}" in text
    )  # 窗口收件 for this booking, next
    mine.refresh_from_db()
    assert mine.status == AppointmentStatus.CHECKED_IN and mine.checked_in_at is not None


def test_a_hall_administrator_sets_the_slots_of_a_hall_in_scope_only(tree):
    admin = make_user(tree.subdistrict_a, *HALL_ADMIN)
    client = client_for(admin)
    form = {
        "org": tree.subdistrict_a.pk,
        "morning_start": "09:00",
        "morning_end": "11:00",
        "afternoon_start": "",
        "afternoon_end": "",
        "minutes": "60",
        "capacity": "3",
    }
    response = client.post(reverse("appointments:schedule"), form, follow=True)
    assert "预约时段已保存，共 2 个时段。" in response.content.decode()
    response = client.post(reverse("appointments:schedule"), {**form, "org": tree.subdistrict_b.pk})
    assert response.status_code == 200
    assert "选择一个有效的选项" in response.content.decode()
    assert not Slot.objects.filter(org=tree.subdistrict_b).exists()
    response = client.post(reverse("appointments:schedule"), {**form, "morning_end": ""})
    assert "请同时填写开始和结束时间，或都不填（该半天不开放）。" in response.content.decode()
    assert (
        client_for(make_user(tree.subdistrict_a, *WINDOW)).get(reverse("appointments:schedule")).status_code
        == 403
    )


def test_the_item_guide_and_the_hall_offer_booking(item, slots, client):
    guide = client.get(reverse("public:guide_detail", args=[item.code])).content.decode()
    assert "预约窗口办理" in guide and reverse("appointments:book", args=[item.pk]) in guide
    mine = resident_client(make_resident()).get(reverse("appointments:mine")).content.decode()
    assert item.name in mine and reverse("appointments:book", args=[item.pk]) in mine


def test_a_resident_stopped_for_no_shows_reads_until_when_on_the_page(item, slots):
    resident = make_resident()
    today = dt.datetime.now(CHINA_TZ).date()
    for n in range(3):
        Appointment.objects.create(
            org=item.org,
            item=make_item(item.org),
            slot=slots[0],
            date=today - dt.timedelta(days=n + 1),
            starts_at=at(today - dt.timedelta(days=n + 1), 9),
            ends_at=at(today - dt.timedelta(days=n + 1), 9, 30),
            resident=resident,
            name=resident.real_name,
            phone=resident.phone,
            phone_masked=resident.phone_masked,
            code=f"NOSHOW{n}",
            status=AppointmentStatus.NO_SHOW,
        )
    until = today - dt.timedelta(days=1) + dt.timedelta(days=30)
    text = resident_client(resident).get(reverse("appointments:mine")).content.decode()
    assert f"因多次爽约，{until:%Y-%m-%d} 前不能预约。" in text


def test_setting_the_schedule_again_keeps_the_bookings_made(item, slots, tree):
    resident = make_resident()
    booked = book(resident, item, slots[0], dt.date(2025, 9, 29))
    admin = make_user(tree.subdistrict_a, *HALL_ADMIN)
    services.schedule_set(
        actor=admin,
        org=tree.subdistrict_a,
        morning=None,
        afternoon=(dt.time(14), dt.time(16)),
        minutes=60,
        capacity=9,
    )
    assert [str(p.slot) for p in selectors.slot_places(item, dt.date(2025, 9, 29), now=FRIDAY)] == [
        "14:00–15:00",
        "15:00–16:00",
    ]
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.BOOKED and str(booked.slot) == "09:00–09:30"
    with pytest.raises(ValidationFailed) as refused:
        book(make_resident(), item, booked.slot, dt.date(2025, 9, 30))
    assert refused.value.errors["slot"] == ["该时段不开放预约，请选择其他时段。"]
    with pytest.raises(OutOfScope):
        services.schedule_set(
            actor=admin,
            org=tree.subdistrict_b,
            morning=(dt.time(9), dt.time(10)),
            afternoon=None,
            minutes=30,
            capacity=1,
        )


def test_window_staff_home_counts_todays_bookings_of_their_hall(item, tree, slots):
    window = make_user(tree.subdistrict_a, *WINDOW)
    checked_in, _waiting = (booked_for_today(make_resident(), item, slot) for slot in slots[-2:])
    cancelled = booked_for_today(make_resident(), item, slots[-3])
    services.appointment_cancel_by_hall(
        actor=make_user(tree.subdistrict_a, "appointments.cancel_appointment"),
        appointment=cancelled,
        reason="窗口系统升级",
    )
    services.appointment_check_in(actor=window, code=checked_in.code)
    [other_slot, *_rest] = open_hall(tree.subdistrict_b)
    booked_for_today(make_resident(), make_item(tree.subdistrict_b), other_slot)  # another hall's
    text = client_for(window).get("/workbench/").content.decode()
    assert "今日预约" in text and "其中 1 人尚未签到" in text
    assert selectors.today_counts(window) == {"total": 2, "waiting": 1}  # the cancelled one is not counted
    assert reverse("appointments:today") in text


class TestAppointmentScope(ScopedModelContract):
    view_permission = "appointments.view_appointment"

    def make_object(self, org):
        item = make_item(org)
        [slot, *_rest] = open_hall(org)
        return services.appointment_book(
            resident=make_resident(), item=item, day=dt.date(2025, 9, 29), slot_id=slot.pk, now=FRIDAY
        )


def test_closing_the_account_cancels_its_open_bookings_and_frees_the_places(item, slots):
    from jiedao.applications import services as applications

    resident = make_resident()
    day = selectors.bookable_dates()[0]
    booked = services.appointment_book(resident=resident, item=item, day=day, slot_id=slots[0].pk)
    code = applications.resident_close_start(resident=resident, ip=None)
    applications.resident_close(resident=resident, code=code)
    booked.refresh_from_db()
    assert (booked.status, booked.resident) == (AppointmentStatus.CANCELLED, None)
    assert booked.name == resident.real_name  # still readable for the hall
    assert {p.slot.pk: p.remaining for p in selectors.slot_places(item, day)}[slots[0].pk] == 2


# --- the slot chosen is gone or closed since the form was shown ------------------------------------------


def test_a_slot_deleted_after_the_form_was_shown_is_refused_on_the_page(item, slots):
    resident = make_resident()
    day = selectors.bookable_dates()[0]
    client = resident_client(resident)
    gone = slots[0].pk
    Slot.objects.filter(pk=gone).delete()
    response = client.post(
        reverse("appointments:book", args=[item.pk]), {"date": day.isoformat(), "slot": gone}
    )
    assert response.status_code == 200
    assert "该时段不开放预约，请选择其他时段。" in response.content.decode()
    assert not Appointment.objects.exists() and not OutboundMessage.objects.exists()


def test_another_halls_or_a_closed_slot_is_refused_by_the_service(item, slots, tree):
    [other_slot, *_rest] = open_hall(tree.subdistrict_b)
    resident = make_resident()
    monday = dt.date(2025, 9, 29)
    with pytest.raises(ValidationFailed) as refused:
        book(resident, item, other_slot, monday)
    assert (refused.value.code, refused.value.errors["slot"]) == (
        "closed",
        ["该时段不开放预约，请选择其他时段。"],
    )
    Slot.objects.filter(pk=slots[0].pk).update(is_active=False)
    assert refusal(lambda: book(resident, item, slots[0], monday)) == "该时段不开放预约，请选择其他时段。"
    assert not Appointment.objects.exists()


# --- a new cut of the day over bookings to come (schedule_set) ---------------------------------------------


def test_a_longer_slot_over_a_booked_one_is_refused_until_the_hall_cancels_it(item, slots, tree):
    admin = make_user(tree.subdistrict_a, *HALL_ADMIN)
    booked = book(make_resident(), item, slots[1], dt.date(2025, 9, 29))  # 09:30–10:00, two places

    def hourly():
        return services.schedule_set(
            actor=admin,
            org=tree.subdistrict_a,
            morning=(dt.time(9), dt.time(12)),
            afternoon=None,
            minutes=60,
            capacity=2,
            now=FRIDAY,
        )

    assert refusal(hourly) == (
        "新的时段与以下仍有预约的原时段重叠，同一时间会超出可接待人数：2025-09-29 09:30–10:00。"
        "请先取消这些预约（取消预约或停止当日预约），或保留原来的时段长度。"
    )
    assert Slot.objects.filter(org=tree.subdistrict_a, is_active=True).count() == len(
        slots
    )  # nothing changed
    services.appointment_cancel_by_hall(
        actor=make_user(tree.subdistrict_a, "appointments.cancel_appointment"),
        appointment=booked,
        reason="调整预约时段",
        now=FRIDAY,
    )
    assert [str(slot) for slot in hourly()] == ["09:00–10:00", "10:00–11:00", "11:00–12:00"]


def test_closing_the_afternoon_keeps_its_bookings_and_a_past_booking_blocks_nothing(item, slots, tree):
    admin = make_user(tree.subdistrict_a, *HALL_ADMIN)
    afternoon = book(make_resident(), item, slots[-1], dt.date(2025, 9, 29))
    book(make_resident(), item, slots[1], dt.date(2025, 9, 29))
    kept = services.schedule_set(
        actor=admin,
        org=tree.subdistrict_a,
        morning=(dt.time(9), dt.time(12)),
        afternoon=None,
        minutes=30,
        capacity=2,
        now=FRIDAY,
    )
    assert len(kept) == 6  # the afternoon closed, its booking still valid: no new slot over it
    afternoon.refresh_from_db()
    assert afternoon.status == AppointmentStatus.BOOKED
    # Once the day of the 09:30 booking is past, a longer cut over it is no overbooking.
    hourly = services.schedule_set(
        actor=admin,
        org=tree.subdistrict_a,
        morning=(dt.time(9), dt.time(12)),
        afternoon=None,
        minutes=60,
        capacity=2,
        now=at(dt.date(2025, 9, 30), 8),
    )
    assert len(hourly) == 3
