"""预约提醒 the afternoon before the visit, the hall's 取消预约 / 停止当日预约, and 预约 offered only where the hall
takes bookings."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from jiedao.applications.tests.factories import make_item, make_resident, resident_client
from jiedao.appointments import selectors, services
from jiedao.appointments.choices import AppointmentStatus
from jiedao.appointments.models import Appointment
from jiedao.appointments.tests.factories import FRIDAY, WINDOW, at, open_hall
from jiedao.audit.models import AuditEvent
from jiedao.core.exceptions import OutOfScope, ServiceError, ValidationFailed
from jiedao.core.testing import client_for, make_user
from jiedao.parameters.services import parameter_set
from jiedao.sms.models import OutboundMessage
from jiedao.workcalendar import services as workcalendar

pytestmark = pytest.mark.django_db

CANCELLER = ("appointments.view_appointment", "appointments.cancel_appointment")


def book(item, slot, day, *, booked_at=FRIDAY, resident=None) -> Appointment:
    """A booking made at `booked_at` (its creation time too, which the reminder reads)."""
    appointment = services.appointment_book(
        resident=resident or make_resident(), item=item, day=day, slot_id=slot.pk, now=booked_at
    )
    Appointment.objects.filter(pk=appointment.pk).update(created_at=booked_at)
    return appointment


def reminders() -> list[OutboundMessage]:
    return list(OutboundMessage.objects.filter(purpose="appointments.reminder").order_by("id"))


# --- 预约提醒 -----------------------------------------------------------------------------------------------


def test_the_afternoon_before_reminds_the_make_up_sunday_once_and_not_the_cancelled(item, slots):
    sunday, monday = dt.date(2025, 9, 28), dt.date(2025, 9, 29)
    due = book(item, slots[0], sunday)
    cancelled = book(item, slots[1], sunday)
    services.appointment_cancel(resident=cancelled.resident, appointment=cancelled, now=FRIDAY)
    later = book(item, slots[0], monday)
    saturday = dt.date(2025, 9, 27)
    # Friday is two days ahead of Sunday's visit: not yet.
    assert services.reminders_run(now=at(FRIDAY.date(), 16)) == 0
    assert services.reminders_run(now=at(saturday, 15, 59)) == 0  # before 16:00, the default hour
    assert (
        services.reminders_run(now=at(saturday, 16, 0)) == 1
    )  # a day off: the afternoon before all the same
    [text] = reminders()
    assert text.body == (
        f"温馨提醒：您预约办理“{item.name}”的时间是 2025年9月28日（星期日） 09:00–09:30，"
        f"地点：甲街道便民服务中心 2 号窗口，预约码 {due.code}。请携带身份证件按时到窗口签到；"
        "不能前来的，请在时段开始前取消预约。"
    )
    assert text.phone_masked == due.phone_masked
    # The next hourly run, or the job run twice after a restart, sends nothing again.
    assert services.reminders_run(now=at(saturday, 17, 0)) == 0
    assert services.reminders_run(now=at(saturday, 16, 0)) == 0
    assert len(reminders()) == 1
    due.refresh_from_db()
    later.refresh_from_db()
    assert due.reminded_at == at(saturday, 16) and later.reminded_at is None
    event = AuditEvent.objects.get(event_name="appointments.appointments.reminded")
    assert (event.actor_name, event.after["count"], event.after["codes"]) == ("system", 1, [due.code])
    # Monday's visit: on Sunday afternoon.
    assert services.reminders_run(now=at(sunday, 16)) == 1
    assert later.code in reminders()[1].body


def test_around_a_holiday_the_last_day_off_reminds_the_first_working_day_and_friday_a_make_up_saturday(
    item, slots
):
    after_holiday = book(item, slots[0], dt.date(2025, 10, 9))
    # Booked on a day of the holiday for the first working day after it: reminded too.
    during = book(item, slots[1], dt.date(2025, 10, 9), booked_at=at(dt.date(2025, 10, 3), 10))
    saturday = book(item, slots[1], dt.date(2025, 10, 11), booked_at=at(dt.date(2025, 10, 9), 10))
    # Not nine days ahead, on the last working day before the holiday, nor on its first days.
    assert services.reminders_run(now=at(dt.date(2025, 9, 30), 16)) == 0
    assert services.reminders_run(now=at(dt.date(2025, 10, 1), 16)) == 0
    assert services.reminders_run(now=at(dt.date(2025, 10, 8), 16)) == 2  # the holiday's last day
    assert services.reminders_run(now=at(dt.date(2025, 10, 10), 16)) == 1  # Friday: the 调休 Saturday
    codes = [m.body.split("预约码 ")[1][:8] for m in reminders()]
    assert sorted(codes[:2]) == sorted([after_holiday.code, during.code]) and codes[2] == saturday.code
    assert (
        "2025年10月9日（星期四）" in reminders()[0].body and "2025年10月11日（星期六）" in reminders()[2].body
    )


def test_a_booking_made_after_the_reminder_hour_is_not_reminded(item, slots):
    """Its confirmation, just sent, says the same."""
    book(item, slots[0], dt.date(2025, 9, 28), booked_at=at(FRIDAY.date(), 18))
    assert services.reminders_run(now=at(FRIDAY.date(), 19)) == 0
    assert not reminders()


def test_the_reminder_hour_is_a_parameter_and_quiet_hours_hold_a_late_text(item, slots, tree):
    admin = make_user(tree.district, "parameters.manage_systemparameter")
    parameter_set(actor=admin, key="appointments.reminder_hour", raw_value="20")
    parameter_set(actor=admin, key="sms.quiet_start", raw_value="20")
    # A working day ahead of the clock: the outbox holds a text until its time only when that is still to come.
    # A visit on a working day ahead of the clock, reminded the day before it.
    visit = workcalendar.add_working_days(timezone.localdate(), 6)
    day = visit - dt.timedelta(days=1)
    booked_at = at(workcalendar.add_working_days(timezone.localdate(), 5), 10)
    booked = book(item, slots[0], visit, booked_at=booked_at)
    assert services.reminders_run(now=at(day, 19)) == 0
    assert services.reminders_run(now=at(day, 20, 5)) == 1
    [text] = reminders()
    assert booked.code in text.body
    assert text.next_attempt_at == at(day + dt.timedelta(days=1), 8)  # the end of the night's quiet hours


def test_a_scheduler_down_all_evening_reminds_todays_visits_after_midnight_held_to_morning(item, slots):
    """Sunday's runs from 16:00 to midnight missed: the first run on Monday texts Monday's 09:00 visit, made
    on Friday, once; the text waits for the end of the quiet hours (08:00), an hour before the slot, and
    names the date rather than saying 明天. A booking made on Sunday evening had its confirmation then. (The
    text's hold until 08:00 is the outbox's, `sms.after_quiet_hours`, and shows on a date still to come only.)"""
    sunday, monday = dt.date(2025, 9, 28), dt.date(2025, 9, 29)
    due = book(item, slots[0], monday)
    evening = book(item, slots[1], monday, booked_at=at(sunday, 17))
    assert services.reminders_run(now=at(sunday, 15)) == 0  # before the hour: Monday is not yet due
    assert services.reminders_run(now=at(monday, 0, 30)) == 1
    [text] = reminders()
    assert text.body == (
        f"温馨提醒：您预约办理“{item.name}”的时间是 2025年9月29日（星期一） 09:00–09:30，"
        f"地点：甲街道便民服务中心 2 号窗口，预约码 {due.code}。请携带身份证件按时到窗口签到；"
        "不能前来的，请在时段开始前取消预约。"
    )
    assert "明天" not in text.body
    assert services.reminders_run(now=at(monday, 1, 30)) == 0
    assert services.reminders_run(now=at(monday, 16)) == 0  # Monday's own evening run: Tuesday's only
    due.refresh_from_db()
    evening.refresh_from_db()
    assert due.reminded_at == at(monday, 0, 30) and evening.reminded_at is None
    event = AuditEvent.objects.get(event_name="appointments.appointments.reminded")
    assert (event.after["date"], event.after["codes"]) == ("2025-09-29", [due.code])


def test_quiet_hours_ending_later_leave_the_first_slot_too_close_for_a_catch_up(item, slots, tree):
    """Quiet until 09:00: a text written at 00:30 goes out at 09:00, too late for the 09:00 visit, in time for
    10:00."""
    parameter_set(
        actor=make_user(tree.district, "parameters.manage_systemparameter"),
        key="sms.quiet_end",
        raw_value="9",
    )
    monday = dt.date(2025, 9, 29)
    nine, ten = book(item, slots[0], monday), book(item, slots[2], monday)
    assert services.reminders_run(now=at(monday, 0, 30)) == 1
    [text] = reminders()
    assert ten.code in text.body and nine.code not in text.body


def test_a_late_catch_up_texts_only_the_slots_an_hour_or_more_away(item, slots):
    """The scheduler back at 10:30 on Monday: the 11:00 visit is too close to be of use, 11:30 and the
    afternoon are texted at once; one the Sunday run had reminded is not texted again."""
    sunday, monday = dt.date(2025, 9, 28), dt.date(2025, 9, 29)
    reminded = book(item, slots[0], monday)
    assert services.reminders_run(now=at(sunday, 16)) == 1
    eleven, half_past, afternoon = (book(item, slots[n], monday) for n in (4, 5, 6))
    Appointment.objects.filter(pk__in=[eleven.pk, half_past.pk, afternoon.pk]).update(
        created_at=at(sunday, 15)
    )
    assert services.reminders_run(now=at(monday, 10, 30)) == 2
    texted = {m.body.split("预约码 ")[1][:8]: m for m in reminders()[1:]}
    assert set(texted) == {half_past.code, afternoon.code}
    assert "2025年9月29日（星期一） 11:30–12:00" in texted[half_past.code].body
    assert services.reminders_run(now=at(monday, 11, 30)) == 0
    assert Appointment.objects.get(pk=reminded.pk).reminded_at == at(sunday, 16)
    assert Appointment.objects.get(pk=eleven.pk).reminded_at is None


# --- 取消预约 by the hall -----------------------------------------------------------------------------------


def test_the_hall_cancels_one_booking_with_the_reason_texted_and_no_no_show(item, slots, tree):
    day = dt.date(2025, 9, 29)
    appointment = book(item, slots[0], day)
    leader = make_user(tree.subdistrict_a, *CANCELLER)
    with pytest.raises(ValidationFailed) as refused:
        services.appointment_cancel_by_hall(actor=leader, appointment=appointment, reason="  ", now=FRIDAY)
    assert refused.value.errors["reason"] == ["请填写取消预约的原因，将以短信告知群众。"]
    done = services.appointment_cancel_by_hall(
        actor=leader, appointment=appointment, reason="窗口系统升级", now=FRIDAY
    )
    assert (done.status, done.cancelled_by, done.cancel_reason) == (
        AppointmentStatus.CANCELLED,
        leader,
        "窗口系统升级",
    )
    text = OutboundMessage.objects.get(purpose="appointments.hall_cancelled")
    assert text.body == (
        f"很抱歉，因窗口系统升级，您预约办理“{item.name}”（2025年9月29日（星期一） 09:00–09:30，"
        f"预约码 {appointment.code}）已由服务大厅取消，不计爽约。请另选时间重新预约，给您带来不便，敬请谅解。"
    )
    event = AuditEvent.objects.get(
        event_name="appointments.appointment.cancelled_by_hall", target_id=str(appointment.pk)
    )
    assert (event.actor, event.after) == (leader, {"status": "cancelled", "reason": "窗口系统升级"})
    # The place is free, the slot's end passes without a no-show, and the resident books the item again.
    assert {p.slot.pk: p.remaining for p in selectors.slot_places(item, day, now=FRIDAY)}[slots[0].pk] == 2
    assert services.no_shows_mark(now=at(day, 12)) == 0
    assert selectors.booking_ban_until(appointment.resident, now=at(day, 12)) is None
    book(item, slots[0], day, resident=appointment.resident)
    page = resident_client(appointment.resident).get(reverse("appointments:mine")).content.decode()
    assert "服务大厅取消：窗口系统升级（不计爽约）" in page


def test_a_booking_checked_in_is_not_cancelled(item, slots, tree):
    day = dt.date(2025, 9, 29)
    appointment = book(item, slots[0], day)
    services.appointment_check_in(
        actor=make_user(tree.subdistrict_a, *WINDOW), code=appointment.code, now=at(day, 9)
    )
    with pytest.raises(ServiceError) as refused:
        services.appointment_cancel_by_hall(
            actor=make_user(tree.subdistrict_a, *CANCELLER), appointment=appointment, reason="停电"
        )
    assert str(refused.value.message) == "该预约已签到，不能取消。"


def test_closing_the_hall_for_a_day_cancels_its_bookings_of_that_day_only(item, slots, tree):
    day = dt.date(2025, 9, 29)
    waiting = [book(item, slots[n], day) for n in (0, 1, 2)]
    arrived = waiting.pop()
    services.appointment_check_in(
        actor=make_user(tree.subdistrict_a, *WINDOW), code=arrived.code, now=at(day, 10)
    )
    next_day = book(item, slots[0], dt.date(2025, 9, 30))
    other_hall = book(make_item(tree.subdistrict_b), open_hall(tree.subdistrict_b)[0], day)
    leader = make_user(tree.subdistrict_a, *CANCELLER)
    closure, cancelled = services.appointments_cancel_day(
        actor=leader, org=tree.subdistrict_a, day=day, reason="停电临时闭厅", now=at(day, 10, 5)
    )
    assert {a.pk for a in cancelled} == {a.pk for a in waiting}
    statuses = dict(Appointment.objects.values_list("pk", "status"))
    assert [statuses[a.pk] for a in waiting] == [AppointmentStatus.CANCELLED] * 2
    assert statuses[arrived.pk] == AppointmentStatus.CHECKED_IN
    assert statuses[next_day.pk] == statuses[other_hall.pk] == AppointmentStatus.BOOKED
    texts = OutboundMessage.objects.filter(purpose="appointments.hall_cancelled")
    assert sorted(t.phone_masked for t in texts) == sorted(a.phone_masked for a in waiting)
    assert all(t.body.startswith("很抱歉，因停电临时闭厅，") for t in texts)
    assert AuditEvent.objects.filter(event_name="appointments.appointment.cancelled_by_hall").count() == 2
    closed = AuditEvent.objects.get(event_name="appointments.day.closed")
    assert (closed.actor, closed.after["count"], closed.message) == (leader, 2, "停电临时闭厅")
    with pytest.raises(ServiceError) as refused:
        services.appointments_cancel_day(
            actor=leader, org=tree.subdistrict_a, day=day, reason="停电", now=at(day, 11)
        )
    assert str(refused.value.message) == f"{tree.subdistrict_a.name} 2025-09-29（星期一） 已停止预约。"
    with pytest.raises(OutOfScope):
        services.appointments_cancel_day(
            actor=leader, org=tree.subdistrict_b, day=day, reason="停电", now=at(day, 11)
        )
    assert OutboundMessage.objects.filter(purpose="appointments.hall_cancelled").count() == 2


def test_a_closed_day_takes_no_bookings_until_reopened(item, slots, tree):
    day = selectors.bookable_dates()[1]
    shown = f"{day:%Y-%m-%d}"
    leader = make_user(tree.subdistrict_a, *CANCELLER)
    resident = make_resident()
    # Closed ahead, before anyone booked the day.
    closure, cancelled = services.appointments_cancel_day(
        actor=leader, org=tree.subdistrict_a, day=day, reason="消防演练"
    )
    assert cancelled == []
    assert not any(p.bookable for p in selectors.slot_places(item, day))
    with pytest.raises(ValidationFailed) as refused:
        services.appointment_book(resident=resident, item=item, day=day, slot_id=slots[0].pk)
    [message] = refused.value.errors["date"]
    assert message.startswith(f"{shown}（") and message.endswith(
        " 服务大厅停止预约（消防演练），请选择其他日期。"
    )
    page = resident_client(resident).get(reverse("appointments:book", args=[item.pk]), {"date": shown})
    assert f"{shown} 服务大厅停止预约（消防演练），请选择其他日期。" in page.content.decode()
    # Another hall's staff may not reopen it; the hall's own may.
    other = client_for(make_user(tree.subdistrict_b, *CANCELLER))
    assert other.post(reverse("appointments:reopen_day", args=[closure.pk])).status_code == 404
    client = client_for(leader)
    text = client.get(reverse("appointments:today"), {"date": shown}).content.decode()
    assert f"{tree.subdistrict_a.name} 当天已停止预约：消防演练" in text
    response = client.post(reverse("appointments:reopen_day", args=[closure.pk]), follow=True)
    assert f"已恢复 {tree.subdistrict_a.name} {shown} 的预约。" in response.content.decode()
    assert AuditEvent.objects.filter(event_name="appointments.day.reopened", actor=leader).count() == 1
    booked = services.appointment_book(resident=resident, item=item, day=day, slot_id=slots[0].pk)
    assert booked.status == AppointmentStatus.BOOKED


# --- pages ----------------------------------------------------------------------------------------------


def test_the_date_page_cancels_a_booking_of_the_own_hall_only(item, slots, tree):
    day = dt.date(2025, 9, 29)
    mine = book(item, slots[0], day, resident=make_resident(name="王小明"))
    theirs = book(make_item(tree.subdistrict_b), open_hall(tree.subdistrict_b)[0], day)
    client = client_for(make_user(tree.subdistrict_a, *CANCELLER))
    page = client.get(reverse("appointments:today"), {"date": "2025-09-29"}).content.decode()
    assert "2025-09-29 的预约" in page and mine.code in page and theirs.code not in page
    assert reverse("appointments:hall_cancel", args=[mine.pk]) in page
    assert client.get(reverse("appointments:hall_cancel", args=[theirs.pk])).status_code == 404
    assert (
        client.post(reverse("appointments:hall_cancel", args=[theirs.pk]), {"reason": "停电"}).status_code
        == 404
    )
    response = client.post(reverse("appointments:hall_cancel", args=[mine.pk]), {"reason": ""})
    assert "请填写取消预约的原因，将以短信告知群众。" in response.content.decode()
    response = client.post(
        reverse("appointments:hall_cancel", args=[mine.pk]), {"reason": "窗口人员外出培训"}, follow=True
    )
    text = response.content.decode()
    assert f"已取消 王小明 的预约（{mine.code}），已短信告知原因并请其重新预约。" in text
    assert "服务大厅取消的预约" in text and "窗口人员外出培训" in text
    theirs.refresh_from_db()
    assert theirs.status == AppointmentStatus.BOOKED
    # The window without the permission sees no 取消 and may not open the page.
    window = client_for(make_user(tree.subdistrict_a, *WINDOW))
    assert window.get(reverse("appointments:cancel_day")).status_code == 403


def test_the_day_page_closes_a_hall_in_scope(item, slots, tree):
    day = selectors.bookable_dates()[0]
    booked = services.appointment_book(resident=make_resident(), item=item, day=day, slot_id=slots[0].pk)
    client = client_for(make_user(tree.subdistrict_a, *CANCELLER))
    form = {"org": tree.subdistrict_a.pk, "date": f"{day:%Y-%m-%d}", "reason": "停电临时闭厅"}
    response = client.post(reverse("appointments:cancel_day"), {**form, "org": tree.subdistrict_b.pk})
    assert "选择一个有效的选项" in response.content.decode()
    response = client.post(reverse("appointments:cancel_day"), {**form, "date": "2020-01-06"})
    assert "不能停止已过去日期的预约。" in response.content.decode()
    response = client.post(reverse("appointments:cancel_day"), form, follow=True)
    assert (
        f"已停止 {tree.subdistrict_a.name} {day:%Y-%m-%d} 的预约，取消 1 个待签到的预约，"
        "已短信告知群众原因并请其重新预约。" in response.content.decode()
    )
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.CANCELLED


def test_closing_a_day_without_bookings_does_not_say_anyone_was_texted(slots, tree):
    day, next_day = selectors.bookable_dates()[:2]
    client = client_for(make_user(tree.subdistrict_a, *CANCELLER))
    form = {"org": tree.subdistrict_a.pk, "date": f"{day:%Y-%m-%d}", "reason": "停电临时闭厅"}
    text = client.post(reverse("appointments:cancel_day"), form, follow=True).content.decode()
    assert (
        f"已停止 {tree.subdistrict_a.name} {day:%Y-%m-%d} 的预约；当天没有待签到的预约，无需取消，未发送短信。"
        in text
    )
    assert "已短信告知" not in text
    form = {**form, "date": f"{next_day:%Y-%m-%d}", "span": "slots", "slots": [slots[0].pk]}
    text = client.post(reverse("appointments:cancel_day"), form, follow=True).content.decode()
    assert (
        "的预约；这些时段没有待签到的预约，无需取消，未发送短信。" in text
        and slots[0].start.strftime("%H:%M") in text
    )
    assert "已短信告知" not in text


# --- 预约 offered where the hall takes bookings --------------------------------------------------------------


def test_booking_is_offered_only_for_items_of_halls_with_open_slots(item, slots, tree, client):
    closed = make_item(tree.subdistrict_b)
    hall = client.get(reverse("applications:hall")).content.decode()
    assert reverse("appointments:book", args=[item.pk]) in hall
    assert reverse("appointments:book", args=[closed.pk]) not in hall
    guide_url = reverse("public:guide_detail", args=[closed.code])
    assert "预约窗口办理" not in client.get(guide_url).content.decode()
    open_hall(tree.subdistrict_b)  # the cached guide page is rendered afresh
    assert reverse("appointments:book", args=[closed.pk]) in client.get(guide_url).content.decode()
