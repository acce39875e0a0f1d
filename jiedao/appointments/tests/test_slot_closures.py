"""停止部分时段预约: the hall stops some slots of one date (下午停电, 会议占用大厅). Their bookings not yet checked
in are cancelled with the reason texted, never counted as 爽约; residents see the slots closed on the page and
in the API and cannot book them; 恢复预约 opens them again. The other slots, and other days, are untouched."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from jiedao.applications.tests.factories import make_item, make_resident, resident_client
from jiedao.appointments import selectors, services
from jiedao.appointments.choices import AppointmentStatus
from jiedao.appointments.models import Appointment, DayClosure
from jiedao.appointments.tests.factories import FRIDAY, WINDOW, at, open_hall
from jiedao.appointments.tests.test_api import client_of
from jiedao.audit.models import AuditEvent
from jiedao.core.exceptions import OutOfScope, ServiceError, ValidationFailed
from jiedao.core.testing import client_for, make_user
from jiedao.sms.models import OutboundMessage

pytestmark = pytest.mark.django_db

CANCELLER = ("appointments.view_appointment", "appointments.cancel_appointment")
MONDAY = dt.date(2025, 9, 29)


def book(item, slot, day=MONDAY, *, resident=None, now=FRIDAY) -> Appointment:
    return services.appointment_book(
        resident=resident or make_resident(), item=item, day=day, slot_id=slot.pk, now=now
    )


def afternoon(slots):
    return [slot for slot in slots if not slot.is_morning]


def test_closing_the_afternoon_cancels_its_bookings_only_with_the_reason_and_no_no_show(item, slots, tree):
    morning = book(item, slots[0])
    first, second = book(item, afternoon(slots)[0]), book(item, afternoon(slots)[-1])
    arrived = book(item, afternoon(slots)[1])
    services.appointment_check_in(
        actor=make_user(tree.subdistrict_a, *WINDOW), code=arrived.code, now=at(MONDAY, 13, 0)
    )
    tuesday = book(item, afternoon(slots)[0], dt.date(2025, 9, 30))
    leader = make_user(tree.subdistrict_a, *CANCELLER)
    closures, cancelled = services.appointments_cancel_slots(
        actor=leader,
        org=tree.subdistrict_a,
        day=MONDAY,
        slot_ids=[s.pk for s in afternoon(slots)],
        reason="下午停电",
        now=at(MONDAY, 12, 30),
    )
    assert [c.slot for c in closures] == afternoon(slots)
    assert {a.pk for a in cancelled} == {first.pk, second.pk}
    statuses = dict(Appointment.objects.values_list("pk", "status"))
    assert [statuses[a.pk] for a in (first, second)] == [AppointmentStatus.CANCELLED] * 2
    assert statuses[morning.pk] == statuses[tuesday.pk] == AppointmentStatus.BOOKED
    assert statuses[arrived.pk] == AppointmentStatus.CHECKED_IN
    texts = OutboundMessage.objects.filter(purpose="appointments.hall_cancelled").order_by("id")
    assert [t.body for t in texts] == [
        f"很抱歉，因下午停电，您预约办理“{item.name}”（2025年9月29日（星期一） {a.slot}，预约码 {a.code}）已由服务大厅"
        "取消，不计爽约。请另选时间重新预约，给您带来不便，敬请谅解。"
        for a in (first, second)
    ]
    # Cancelled, not 爽约: the afternoon passes without a no-show, and no ban.
    assert services.no_shows_mark(now=at(MONDAY, 18)) == 1  # the morning booking nobody came to
    assert selectors.booking_ban_until(first.resident, now=at(MONDAY, 18)) is None
    event = AuditEvent.objects.get(event_name="appointments.slots.closed")
    assert (event.actor, event.message, event.after["count"]) == (leader, "下午停电", 2)
    assert event.after["slots"] == [str(s) for s in afternoon(slots)]
    assert AuditEvent.objects.filter(event_name="appointments.appointment.cancelled_by_hall").count() == 2
    # The morning of the day stays bookable; the whole day is not closed.
    places = {p.slot.pk: p for p in selectors.slot_places(item, MONDAY, now=FRIDAY)}
    assert places[slots[1].pk].bookable and not places[slots[1].pk].closed
    assert all(places[s.pk].closed and places[s.pk].closed_reason == "下午停电" for s in afternoon(slots))
    assert selectors.day_closure(tree.subdistrict_a.pk, MONDAY) is None


def test_refusals_name_the_problem_and_write_nothing(item, slots, tree):
    leader = make_user(tree.subdistrict_a, *CANCELLER)
    hall = tree.subdistrict_a

    def close(slot_ids, *, day=MONDAY, org=hall, reason="会议占用大厅"):
        return services.appointments_cancel_slots(
            actor=leader, org=org, day=day, slot_ids=slot_ids, reason=reason, now=FRIDAY
        )

    with pytest.raises(ValidationFailed) as refused:
        close([])
    assert refused.value.errors["slots"] == ["请选择要停止预约的时段。"]
    other_hall_slot = open_hall(tree.subdistrict_b)[0]
    with pytest.raises(ValidationFailed) as refused:
        close([slots[0].pk, other_hall_slot.pk])
    assert refused.value.errors["slots"] == ["所选时段不是该服务大厅开放预约的时段，请重新选择。"]
    with pytest.raises(ValidationFailed) as refused:
        close([slots[0].pk], day=dt.date(2025, 9, 25))
    assert refused.value.errors["date"] == ["不能停止已过去日期的预约。"]
    with pytest.raises(ValidationFailed) as refused:
        close([slots[0].pk], reason=" ")
    assert refused.value.errors["reason"] == ["请填写取消预约的原因，将以短信告知群众。"]
    with pytest.raises(OutOfScope):
        close([other_hall_slot.pk], org=tree.subdistrict_b)
    assert not DayClosure.objects.exists()
    close([slots[0].pk, slots[1].pk])
    with pytest.raises(ServiceError) as refused:
        close([slots[1].pk, slots[2].pk])
    assert str(refused.value.message) == (
        f"{hall.name} 2025-09-29（星期一） 的以下时段已停止预约：09:30–10:00。请不要重复选择。"
    )
    services.appointments_cancel_day(actor=leader, org=hall, day=MONDAY, reason="停电", now=FRIDAY)
    with pytest.raises(ServiceError) as refused:
        close([slots[2].pk])
    assert str(refused.value.message) == f"{hall.name} 2025-09-29（星期一） 已停止预约。"
    assert DayClosure.objects.count() == 3  # two slots and the day
    assert AuditEvent.objects.filter(event_name="appointments.slots.closed").count() == 1


def test_residents_see_the_slot_closed_cannot_book_it_and_book_it_again_once_reopened(item, slots, tree):
    day = selectors.bookable_dates()[0]
    shown = f"{day:%Y-%m-%d}"
    leader = make_user(tree.subdistrict_a, *CANCELLER)
    [closure], _none = services.appointments_cancel_slots(
        actor=leader, org=tree.subdistrict_a, day=day, slot_ids=[slots[0].pk], reason="会议占用大厅"
    )
    resident = make_resident()
    page = resident_client(resident).get(reverse("appointments:book", args=[item.pk]), {"date": shown})
    text = page.content.decode()
    assert f'value="{slots[0].pk}" id="slot-{slots[0].pk}" disabled' in text
    assert f'value="{slots[1].pk}" id="slot-{slots[1].pk}">' in text
    assert "停止预约（会议占用大厅）" in text
    assert 'data-testid="closed-day"' not in text  # the day itself is open
    message = f"{shown}（"
    response = resident_client(resident).post(
        reverse("appointments:book", args=[item.pk]), {"date": shown, "slot": slots[0].pk}
    )
    refusal = "09:00–09:30 服务大厅停止预约（会议占用大厅），请选择其他时段。"
    assert message in response.content.decode() and refusal in response.content.decode()
    api = client_of(resident)
    listed = api.get("/api/v1/resident/appointments/slots/", {"item": item.pk, "date": shown}).json()
    assert listed["slots"][0]["closed"] is True and listed["slots"][0]["bookable"] is False
    assert listed["slots"][0]["closed_reason"] == "会议占用大厅"
    assert (listed["slots"][1]["closed"], listed["slots"][1]["bookable"]) == (False, True)
    refused = api.post(
        "/api/v1/resident/appointments/", {"item": item.pk, "date": shown, "slot": slots[0].pk}, format="json"
    )
    assert refused.status_code == 400 and refused.json()["code"] == "closed_slot"
    assert refused.json()["errors"]["slot"][0].endswith(refusal)
    assert not Appointment.objects.exists()
    # Another slot of the day books as ever; 恢复预约 opens the closed one again.
    other = make_item(tree.subdistrict_a)
    assert services.appointment_book(resident=resident, item=other, day=day, slot_id=slots[1].pk)
    services.day_reopen(actor=leader, closure=closure)
    reopened = AuditEvent.objects.get(event_name="appointments.slot.reopened")
    assert reopened.before["slot"] == "09:00–09:30" and reopened.actor == leader
    assert services.appointment_book(resident=resident, item=item, day=day, slot_id=slots[0].pk)


def test_the_hall_page_stops_chosen_slots_shows_them_and_reopens_one(item, slots, tree):
    day = selectors.bookable_dates()[0]
    shown = f"{day:%Y-%m-%d}"
    booked = services.appointment_book(resident=make_resident(), item=item, day=day, slot_id=slots[-1].pk)
    kept = services.appointment_book(resident=make_resident(), item=item, day=day, slot_id=slots[0].pk)
    leader = make_user(tree.subdistrict_a, *CANCELLER)
    client = client_for(leader)
    form_page = client.get(reverse("appointments:cancel_day"), {"date": shown}).content.decode()
    assert "停止范围" in form_page and "部分时段（在下面勾选）" in form_page and "13:30–14:00" in form_page
    form = {"org": tree.subdistrict_a.pk, "date": shown, "reason": "下午停电"}
    # 部分时段 with none ticked, or slots ticked with 全天: nothing is closed.
    response = client.post(reverse("appointments:cancel_day"), {**form, "span": "slots"})
    assert "请选择要停止预约的时段。" in response.content.decode()
    response = client.post(
        reverse("appointments:cancel_day"), {**form, "span": "day", "slots": [slots[-1].pk]}
    )
    assert (
        "选择了“全天”就不用勾选时段；只停止部分时段的，请在停止范围中选择“部分时段”。"
        in response.content.decode()
    )
    assert not DayClosure.objects.exists()
    last_two = [slots[-2].pk, slots[-1].pk]
    response = client.post(
        reverse("appointments:cancel_day"), {**form, "span": "slots", "slots": last_two}, follow=True
    )
    text = response.content.decode()
    assert (
        f"已停止 {tree.subdistrict_a.name} {shown} 16:00–16:30、16:30–17:00 的预约，取消 1 个待签到的预约，"
        "已短信告知群众原因并请其重新预约。" in text
    )
    assert f"{tree.subdistrict_a.name} 16:00–16:30 已停止预约：下午停电" in text
    assert f"{tree.subdistrict_a.name} 16:30–17:00 已停止预约：下午停电" in text
    assert "当天已停止预约" not in text
    booked.refresh_from_db()
    kept.refresh_from_db()
    assert (booked.status, booked.cancel_reason) == (AppointmentStatus.CANCELLED, "下午停电")
    assert kept.status == AppointmentStatus.BOOKED
    # Another hall's staff may not reopen; the hall's own reopen one slot, the other stays closed.
    closure = DayClosure.objects.get(slot=slots[-1])
    other = client_for(make_user(tree.subdistrict_b, *CANCELLER))
    assert other.post(reverse("appointments:reopen_day", args=[closure.pk])).status_code == 404
    response = client.post(reverse("appointments:reopen_day", args=[closure.pk]), follow=True)
    text = response.content.decode()
    assert f"已恢复 {tree.subdistrict_a.name} {shown} 16:30–17:00 的预约。" in text
    assert f"{tree.subdistrict_a.name} 16:00–16:30 已停止预约：下午停电" in text
    places = {p.slot.pk: p for p in selectors.slot_places(item, day)}
    assert places[slots[-1].pk].bookable and places[slots[-2].pk].closed


def test_reopening_the_whole_day_leaves_the_slots_closed_before(item, slots, tree):
    leader = make_user(tree.subdistrict_a, *CANCELLER)
    hall = tree.subdistrict_a
    services.appointments_cancel_slots(
        actor=leader, org=hall, day=MONDAY, slot_ids=[slots[-1].pk], reason="会议占用大厅", now=FRIDAY
    )
    day_closure, _cancelled = services.appointments_cancel_day(
        actor=leader, org=hall, day=MONDAY, reason="停电", now=FRIDAY
    )
    assert {p.closed for p in selectors.slot_places(item, MONDAY, now=FRIDAY)} == {True}
    services.day_reopen(actor=leader, closure=day_closure)
    places = {p.slot.pk: p for p in selectors.slot_places(item, MONDAY, now=FRIDAY)}
    assert places[slots[-1].pk].closed and places[slots[-1].pk].closed_reason == "会议占用大厅"
    assert places[slots[0].pk].bookable
