"""取号 and 叫号 as the hall meets them: numbers per line and day, 预约优先, the window's buttons, and refusals
that change nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from jiedao.audit.models import AuditEvent
from jiedao.core.exceptions import (
    Conflict,
    OutOfScope,
    PermissionDenied,
    RateLimited,
    ServiceError,
    ValidationFailed,
)
from jiedao.core.testing import make_user
from jiedao.parameters.services import parameter_set
from jiedao.queueing import selectors, services
from jiedao.queueing.models import Ticket
from jiedao.queueing.tests.factories import (
    LINE_ADMIN,
    MONDAY,
    SATURDAY,
    at,
    booking_on,
    make_caller,
    make_line,
    make_window,
    take,
)
from jiedao.sms.models import OutboundMessage

pytestmark = pytest.mark.django_db
TUESDAY = MONDAY + dt.timedelta(days=1)


@pytest.fixture
def window(tree):
    return make_window(tree.subdistrict_a, number="3号窗口")


@pytest.fixture
def caller(tree, window):
    return make_caller(tree.subdistrict_a, window)


@pytest.fixture
def line(tree, window):
    return make_line(tree.subdistrict_a, "A", window, name="社会救助")


def call(caller, window, hour=10, minute=0):
    return services.ticket_call_next(actor=caller, window=window, now=at(MONDAY, hour, minute))


def test_numbers_run_per_line_and_start_again_the_next_day(tree, window, line):
    other = make_line(tree.subdistrict_a, "B", window, name="户籍")
    assert [t.code for t in take(line, 3)] == ["A001", "A002", "A003"]
    assert [t.code for t in take(other, 2)] == ["B001", "B002"]
    tuesday = services.ticket_take(line=line, now=at(TUESDAY, 9))
    assert (tuesday.code, tuesday.date) == ("A001", TUESDAY)
    assert AuditEvent.objects.filter(event_name="queueing.ticket.taken").count() == 6


def test_the_ticket_counts_who_is_waiting_ahead(line):
    first, second, third = take(line, 3)
    assert [selectors.ahead_of(t) for t in (first, second, third)] == [0, 1, 2]


def test_a_booking_code_of_today_gives_priority_once(tree, window, caller, line):
    plain = take(line, 2)
    booking = booking_on(tree.subdistrict_a, MONDAY)
    priority = services.ticket_take(line=line, appointment_code=booking.code.lower(), now=at(MONDAY, 9, 30))
    assert priority.priority and priority.appointment == booking
    assert selectors.ahead_of(priority) == 0
    assert selectors.ahead_of(plain[0]) == 1
    with pytest.raises(ValidationFailed) as refused:
        services.ticket_take(line=line, appointment_code=booking.code, now=at(MONDAY, 9, 31))
    assert refused.value.errors["appointment_code"] == [
        "该预约码已经取过号（A003），每个预约只能优先取号一次。"
    ]
    assert Ticket.objects.count() == 3
    assert call(caller, window).code == "A003"
    assert call(caller, window, minute=5).code == "A001"


def test_a_booking_code_of_another_day_or_hall_is_refused(tree, line):
    with pytest.raises(ValidationFailed) as refused:  # the visitor came on the wrong day: told which
        services.ticket_take(
            line=line, appointment_code=booking_on(tree.subdistrict_a, TUESDAY).code, now=at(MONDAY, 9)
        )
    assert refused.value.errors["appointment_code"][0].startswith(
        "该预约的日期是 2025-09-30（星期二），不是今天"
    )
    with pytest.raises(ValidationFailed) as refused:
        services.ticket_take(
            line=line, appointment_code=booking_on(tree.subdistrict_b, MONDAY).code, now=at(MONDAY, 9)
        )
    assert refused.value.errors["appointment_code"][0].startswith("预约码不正确")
    assert not Ticket.objects.exists()


def test_no_number_on_a_day_off_nor_at_a_paused_line_nor_beyond_the_daily_cap(tree, line):
    with pytest.raises(ServiceError) as refused:
        services.ticket_take(line=line, now=at(SATURDAY, 9))
    assert refused.value.message == "今天（2025-10-04（星期六））不是工作日，服务大厅不办理业务，不能取号。"
    for hour, minute in ((7, 59), (17, 0)):
        with pytest.raises(ServiceError) as refused:
            services.ticket_take(line=line, now=at(MONDAY, hour, minute))
        assert refused.value.message == "现在不是取号时间。工作日 8:00 至 17:00 可以取号。"
    assert services.ticket_take(line=line, now=at(MONDAY, 16, 59)).code == "A001"
    Ticket.objects.all().delete()
    admin = make_user(tree.district, "parameters.manage_systemparameter")
    parameter_set(actor=admin, key="queueing.daily_cap", raw_value="2")
    take(line, 2)
    with pytest.raises(ServiceError) as refused:
        take(line, 1, minute=5)
    assert refused.value.message == "“社会救助”今天的 2 个号已经发完，请改日再来或咨询大厅工作人员。"
    line.is_active = False
    line.save()
    with pytest.raises(ServiceError) as refused:
        services.ticket_take(line=line, now=at(TUESDAY, 9))
    assert refused.value.message == "“社会救助”暂停取号，请咨询大厅工作人员。"
    assert Ticket.objects.count() == 2


def test_a_bad_phone_is_refused_and_a_good_one_is_kept_masked(line):
    with pytest.raises(ValidationFailed) as refused:
        services.ticket_take(line=line, phone="010-1234", now=at(MONDAY, 9))
    assert "11 位手机号码" in refused.value.errors["phone"][0]
    ticket = services.ticket_take(line=line, phone="139 0000 1234", now=at(MONDAY, 9))
    assert (ticket.phone, ticket.phone_masked) == ("13900001234", "139****1234")


def test_calling_the_next_finishes_the_one_served(caller, window, line):
    first, second = take(line, 2)
    called = call(caller, window)
    assert (called.code, called.status, called.called_window) == ("A001", "called", window)
    call(caller, window, minute=10)
    first.refresh_from_db()
    assert first.status == "done" and first.finished_at == at(MONDAY, 10, 10)
    with pytest.raises(ServiceError) as refused:
        services.ticket_finish(actor=caller, ticket=first, now=at(MONDAY, 10, 11))
    assert refused.value.message == "A001 号已办结，不能这样操作，请刷新页面。"
    services.ticket_finish(actor=caller, ticket=second, now=at(MONDAY, 10, 12))
    with pytest.raises(ServiceError) as refused:
        call(caller, window, minute=20)
    assert refused.value.message == "目前没有等候的群众。"


def test_a_window_calls_only_the_lines_it_serves(tree, caller, window, line):
    elsewhere = make_line(tree.subdistrict_a, "B", make_window(tree.subdistrict_a))
    take(elsewhere, 2)
    take(line, 1, minute=5)
    assert call(caller, window).code == "A001"


def test_recall_skip_and_requeue_at_the_end(caller, window, line):
    first, *_rest = take(line, 3)
    call(caller, window)
    recalled = services.ticket_recall(actor=caller, ticket=first, now=at(MONDAY, 10, 1))
    recalled = services.ticket_recall(actor=caller, ticket=first, now=at(MONDAY, 10, 2))
    assert recalled.recall_count == 2 and recalled.announced_at == at(MONDAY, 10, 2)
    services.ticket_skip(actor=caller, ticket=first)
    assert [t.code for t in selectors.skipped_for(window, MONDAY)] == ["A001"]
    back = services.ticket_requeue(actor=caller, window=window, ticket=first, now=at(MONDAY, 10, 5))
    assert back.status == "waiting" and selectors.ahead_of(back) == 2
    assert [call(caller, window, minute=m).code for m in (6, 7, 8)] == ["A002", "A003", "A001"]
    back.refresh_from_db()  # called again at 10:08
    assert (back.status, back.announced_at) == ("called", at(MONDAY, 10, 8))
    assert back.called_at == at(MONDAY, 10)  # the wait counted to the first call
    with pytest.raises(ServiceError):
        services.ticket_requeue(actor=caller, window=window, ticket=first, now=at(MONDAY, 10, 9))


def test_staff_of_another_window_or_hall_change_nothing(tree, caller, window, line):
    [ticket] = take(line, 1)
    colleague = make_caller(tree.subdistrict_a, make_window(tree.subdistrict_a))
    with pytest.raises(PermissionDenied) as refused:
        services.ticket_call_next(actor=colleague, window=window, now=at(MONDAY, 10))
    assert refused.value.message == "您不是3号窗口 综合受理的工作人员，不能在该窗口叫号。"
    stranger = make_caller(tree.subdistrict_b, make_window(tree.subdistrict_b))
    window.staff.add(stranger)  # listed by mistake: the hall is still out of their scope
    with pytest.raises(OutOfScope):
        services.ticket_call_next(actor=stranger, window=window, now=at(MONDAY, 10))
    call(caller, window)
    for outsider in (colleague, stranger):
        for action in (services.ticket_recall, services.ticket_skip, services.ticket_finish):
            with pytest.raises((PermissionDenied, OutOfScope)):
                action(actor=outsider, ticket=ticket, now=at(MONDAY, 10, 1))
    ticket.refresh_from_db()
    assert (ticket.status, ticket.recall_count, ticket.called_by) == ("called", 0, caller)
    assert not AuditEvent.objects.filter(
        event_name__in=["queueing.ticket.recalled", "queueing.ticket.skipped", "queueing.ticket.finished"]
    ).exists()
    assert AuditEvent.objects.filter(event_name="queueing.ticket.called").count() == 1  # the caller's own


def test_the_visitor_three_ahead_is_texted_once(caller, window, line):
    take(line, 4)
    texted = services.ticket_take(line=line, phone="13900001234", now=at(MONDAY, 9, 5))  # A005: four ahead
    take(line, 2, minute=6)
    call(caller, window)  # A001 called: A005 has three ahead
    messages = OutboundMessage.objects.filter(purpose="queueing.near")
    assert messages.count() == 1
    assert messages.get().body == (
        "您在甲街道取的 A005 号（社会救助）前面还有 3 位，即将叫到，请回到大厅留意叫号屏。"
    )
    texted.refresh_from_db()
    assert texted.near_texted_at == at(MONDAY, 10)
    for minute in (1, 2, 3):
        call(caller, window, minute=minute)
    assert messages.count() == 1


def test_line_prefix_is_unique_in_the_hall_and_windows_are_the_halls(tree, window, line):
    admin = make_user(tree.subdistrict_a, *LINE_ADMIN)
    with pytest.raises(ValidationFailed) as refused:
        services.line_save(actor=admin, org=tree.subdistrict_a, name="户籍", prefix="a", window_ids=[])
    assert refused.value.errors["prefix"] == ["本服务大厅已有字头为 A 的业务队列，请换一个字母。"]
    other_hall = make_window(tree.subdistrict_b)
    with pytest.raises(ValidationFailed) as refused:
        services.line_save(
            actor=admin, org=tree.subdistrict_a, name="户籍", prefix="B", window_ids=[other_hall.pk]
        )
    assert refused.value.errors["windows"] == ["所选窗口不是本服务大厅的窗口，请重新选择。"]
    assert make_line(tree.subdistrict_b, "A").prefix == "A"  # another hall may use A


def test_day_statistics(tree, caller, window, line, django_assert_num_queries):
    take(line, 3)
    call(caller, window, minute=0)  # A001 waited 60 minutes
    services.ticket_skip(
        actor=caller, ticket=call(caller, window, minute=10)
    )  # A002 waited 70 minutes, skipped
    services.ticket_take(line=line, now=at(TUESDAY, 9))  # another day: not counted
    other_hall = make_line(tree.subdistrict_b, "A", make_window(tree.subdistrict_b))
    services.ticket_take(line=other_hall, now=at(MONDAY, 9))
    admin = make_user(tree.subdistrict_a, *LINE_ADMIN)
    selectors.day_stats(admin, MONDAY)  # the admin's scope, read once per request
    with django_assert_num_queries(1):  # the tickets: counted by the database, however many
        stats = selectors.day_stats(admin, MONDAY)
    assert [s.line for s in stats] == [line]  # the lines in the admin's scope only
    [stats] = stats
    assert (stats.taken, stats.called, stats.done, stats.skipped, stats.waiting) == (3, 2, 1, 1, 1)
    assert stats.average_wait == dt.timedelta(minutes=65) - dt.timedelta(seconds=0.5)
    assert stats.average_minutes == 65


def test_calling_a_priority_ticket_checks_its_booking_in(tree, window, line):
    booking = booking_on(tree.subdistrict_a, MONDAY)
    services.ticket_take(line=line, appointment_code=booking.code, now=at(MONDAY, 9))
    caller = make_caller(tree.subdistrict_a, window, "appointments.checkin_appointment")
    call(caller, window)
    booking.refresh_from_db()
    assert (booking.status, booking.checked_in_by) == ("checked_in", caller)


def test_numbers_taken_from_one_address_are_counted(tree, line):
    admin = make_user(tree.district, "parameters.manage_systemparameter", scope="all")
    parameter_set(actor=admin, key="queueing.takes_per_hour", raw_value="2")
    take(line, 2, ip="10.0.0.8")
    with pytest.raises(RateLimited) as refused:
        take(line, 1, minute=1, ip="10.0.0.8")
    assert refused.value.message == "本机取号过于频繁，请稍后再试，或咨询大厅工作人员。"
    assert take(line, 1, minute=2, ip="10.0.0.9")[0].code == "A003"
    # No address known: counted all the same, as one.
    take(line, 2, minute=3, ip=None)
    with pytest.raises(RateLimited):
        take(line, 1, minute=4, ip="")
    assert Ticket.objects.count() == 5


def test_a_stale_call_next_is_refused_and_changes_nothing(caller, window, line):
    """叫下一位 pressed again on a page that still shows nobody (or an earlier visitor) being served: the
    visitor called meanwhile is not finished unserved, nobody else is called."""
    take(line, 3)
    first = services.ticket_call_next(actor=caller, window=window, seen_current=None, now=at(MONDAY, 10))
    events = AuditEvent.objects.count()
    for stale in (None, first.pk + 100):
        with pytest.raises(Conflict, match="3号窗口刚刚已叫号（正在办理 A001）"):
            services.ticket_call_next(actor=caller, window=window, seen_current=stale, now=at(MONDAY, 10))
    assert dict(Ticket.objects.values_list("code", "status")) == {
        "A001": "called",
        "A002": "waiting",
        "A003": "waiting",
    }
    assert AuditEvent.objects.count() == events
    # The page showing A001 calls the next one.
    assert (
        services.ticket_call_next(
            actor=caller, window=window, seen_current=first.pk, now=at(MONDAY, 10, 5)
        ).code
        == "A002"
    )
    assert Ticket.objects.get(code="A001").status == "done"


def test_a_visitor_waiting_with_a_priority_ticket_is_not_marked_no_show(tree, caller, window, line):
    """The slot and its grace pass while the visitor waits in the hall: not 爽约. A booking whose number was
    never taken is."""
    from jiedao.appointments import services as appointments
    from jiedao.appointments.models import Appointment
    from jiedao.workcalendar.services import CHINA_TZ

    bookings = [booking_on(tree.subdistrict_a, MONDAY) for _n in range(2)]
    for booking in bookings:
        start = dt.datetime.combine(MONDAY, booking.slot.start, tzinfo=CHINA_TZ)
        end = dt.datetime.combine(MONDAY, booking.slot.end, tzinfo=CHINA_TZ)
        Appointment.objects.filter(pk=booking.pk).update(starts_at=start, ends_at=end)
    waiting = services.ticket_take(
        line=line, appointment_code=bookings[0].code, now=start - dt.timedelta(minutes=5)
    )
    assert appointments.no_shows_mark(now=end + dt.timedelta(hours=1)) == 1
    statuses = dict(Appointment.objects.filter(pk__in=[b.pk for b in bookings]).values_list("pk", "status"))
    assert statuses == {bookings[0].pk: "booked", bookings[1].pk: "no_show"}
    waiting.refresh_from_db()
    assert waiting.status == "waiting"


def test_a_booked_visitor_whose_number_was_skipped_came_and_is_never_marked_no_show(
    tree, caller, window, line
):
    """过号 while the visitor stepped away: the grace passes, yet they took a number with the booking's code,
    so they came. Back at the window, requeued and served, the booking is still not 爽约."""
    from jiedao.appointments import services as appointments
    from jiedao.appointments.models import Appointment
    from jiedao.workcalendar.services import CHINA_TZ

    booking = booking_on(tree.subdistrict_a, MONDAY)
    start = dt.datetime.combine(MONDAY, booking.slot.start, tzinfo=CHINA_TZ)
    end = dt.datetime.combine(MONDAY, booking.slot.end, tzinfo=CHINA_TZ)
    Appointment.objects.filter(pk=booking.pk).update(starts_at=start, ends_at=end)
    ticket = services.ticket_take(
        line=line, appointment_code=booking.code, now=start - dt.timedelta(minutes=5)
    )
    assert ticket.priority
    services.ticket_call_next(actor=caller, window=window, now=start)
    services.ticket_skip(actor=caller, ticket=ticket, now=start + dt.timedelta(minutes=1))

    assert appointments.no_shows_mark(now=end + dt.timedelta(hours=1)) == 0
    booking.refresh_from_db()
    assert booking.status == "booked"
    later = end + dt.timedelta(hours=1, minutes=5)
    services.ticket_requeue(actor=caller, window=window, ticket=ticket, now=later)
    services.ticket_call_next(actor=caller, window=window, now=later)
    services.ticket_finish(actor=caller, ticket=ticket, now=later + dt.timedelta(minutes=10))
    assert appointments.no_shows_mark(now=later + dt.timedelta(hours=1)) == 0
    booking.refresh_from_db()
    assert booking.status == "booked"


def test_a_booking_code_gives_priority_only_from_a_while_before_the_slot(tree, caller, window, line):
    """The 09:00 booking taken at 08:29 waits as a plain number (still the booking's: used once); from
    08:30 (`queueing.priority_minutes_before`, 30) on it is 预约优先."""
    early, on_time = booking_on(tree.subdistrict_a, MONDAY), booking_on(tree.subdistrict_a, MONDAY)
    services.ticket_take(line=line, now=at(MONDAY, 8))
    plain = services.ticket_take(line=line, appointment_code=early.code, now=at(MONDAY, 8, 29))
    assert not plain.priority and plain.appointment == early
    first = services.ticket_take(line=line, appointment_code=on_time.code, now=at(MONDAY, 8, 30))
    assert first.priority
    assert [call(caller, window, minute=n).code for n in range(3)] == ["A003", "A001", "A002"]


def test_the_near_text_is_not_missed_after_a_cancel_a_skip_or_a_take(caller, window, line):
    messages = OutboundMessage.objects.filter(purpose="queueing.near")
    first, second, *_rest = take(line, 4)
    texted = services.ticket_take(line=line, phone="13900001234", now=at(MONDAY, 9, 5))  # A005: four ahead
    take(line, 3, minute=6)
    services.ticket_cancel(ticket=second, now=at(MONDAY, 9, 30))  # three ahead now
    texted.refresh_from_db()
    assert texted.near_texted_at == at(MONDAY, 9, 30)
    assert (
        messages.get().body
        == "您在甲街道取的 A005 号（社会救助）前面还有 3 位，即将叫到，请回到大厅留意叫号屏。"
    )
    call(caller, window)
    call(caller, window, minute=1)
    assert messages.count() == 1  # once
    # Called, then 过号: the one with three ahead after it is texted.
    Ticket.objects.all().delete()
    take(line, 3)
    later = services.ticket_take(
        line=line, phone="13900001235", now=at(MONDAY, 9, 10)
    )  # three ahead: at once
    later.refresh_from_db()
    assert later.near_texted_at == at(MONDAY, 9, 10)
    Ticket.objects.all().delete()
    take(line, 4)
    behind = services.ticket_take(line=line, phone="13900001236", now=at(MONDAY, 9, 10))  # four ahead
    called = call(caller, window)
    Ticket.objects.filter(pk=behind.pk).update(near_texted_at=None)  # as if the call found it locked
    services.ticket_skip(actor=caller, ticket=called, now=at(MONDAY, 10, 2))
    behind.refresh_from_db()
    assert behind.near_texted_at == at(MONDAY, 10, 2)


def test_visitors_moved_up_past_the_mark_at_once_are_all_texted(caller, window, line):
    """Two cancel together ahead: the visitor now two ahead, never three ahead at a call, is texted too."""
    tickets = take(line, 3)
    near = services.ticket_take(line=line, phone="13900001234", now=at(MONDAY, 9, 5))  # three ahead: texted
    near.refresh_from_db()
    assert near.near_texted_at is not None
    far = services.ticket_take(line=line, phone="13900001235", now=at(MONDAY, 9, 6))  # four ahead
    Ticket.objects.filter(pk__in=[tickets[0].pk, tickets[1].pk]).update(status="cancelled")
    call(caller, window)  # A003 called: A005 has one ahead
    far.refresh_from_db()
    assert far.near_texted_at == at(MONDAY, 10)
    assert OutboundMessage.objects.get(purpose="queueing.near", body__contains="A005").body == (
        "您在甲街道取的 A005 号（社会救助）前面还有 1 位，即将叫到，请回到大厅留意叫号屏。"
    )


def test_the_daily_job_closes_past_days(tree, caller, window, line):
    from jiedao.core.schedule import JOBS

    take(line, 2, phone="13900001234")
    call(caller, window)  # A001 being served when the day ends, A002 waiting
    today = services.ticket_take(line=line, phone="13900001235", now=at(TUESDAY, 9))
    job = JOBS["queueing.close_days"]
    assert job.every == dt.timedelta(days=1)
    assert services.days_close(now=at(TUESDAY, 9, 30)) == 2
    rows = {t.code + str(t.date.day): t for t in Ticket.objects.all()}
    assert (rows["A00129"].status, rows["A00129"].finished_at) == ("done", at(TUESDAY, 9, 30))
    assert rows["A00229"].status == "expired" and rows["A00229"].get_status_display() == "已失效"
    assert all(t.phone == "" and t.phone_masked == "" for t in (rows["A00129"], rows["A00229"]))
    assert (rows["A00130"].status, rows["A00130"].phone_masked) == ("waiting", "139****1235")  # today's
    event = AuditEvent.objects.get(event_name="queueing.day.closed")
    assert event.org_id == tree.subdistrict_a.pk
    assert event.after["expired"] == ["2025-09-29 A002"] and event.after["finished"] == ["2025-09-29 A001"]
    assert services.days_close(now=at(TUESDAY, 10)) == 0  # once
    assert AuditEvent.objects.filter(event_name="queueing.day.closed").count() == 1
    assert today.pk == rows["A00130"].pk


def test_the_prefix_is_not_changed_while_the_line_has_numbers_today(tree, window, line):
    admin = make_user(tree.subdistrict_a, *LINE_ADMIN)
    take(line, 2)

    def save(prefix, day):
        return services.line_save(
            actor=admin,
            name="社会救助",
            prefix=prefix,
            window_ids=[window.pk],
            line=line,
            now=at(day, 10),
            org=None,
        )

    with pytest.raises(ValidationFailed) as refused:
        save("C", MONDAY)
    assert refused.value.errors["prefix"] == [
        "本队列今天已有排队号（A 字头），今天不能改号码字头，请在没有取号的日子修改。"
    ]
    line.refresh_from_db()
    assert line.prefix == "A"
    assert save("A", MONDAY).prefix == "A"  # the rest of the line may change
    assert save("C", TUESDAY).prefix == "C"  # a day without numbers yet


def test_the_ticket_services_take_keywords_only(caller, window, line):
    """An actor and a ticket, or a window and a ticket, are never swapped by position."""
    [ticket] = take(line, 1)
    for refused in (
        lambda: services.ticket_take(line),
        lambda: services.ticket_cancel(ticket),
        lambda: services.ticket_call_next(caller, window),
        lambda: services.ticket_recall(caller, ticket),
        lambda: services.ticket_requeue(caller, window, ticket),
    ):
        with pytest.raises(TypeError):
            refused()
    assert Ticket.objects.get().status == "waiting"


def test_a_booking_code_gives_priority_only_until_the_slots_end_and_grace(tree, caller, window, line):
    """The 09:00–09:30 booking: its code taken at 09:44 (within `appointments.grace_minutes`, 15) is 预约优先;
    taken at 09:45 or later it waits as a plain number of that booking, though no 爽约 has been marked yet."""
    in_grace, late = booking_on(tree.subdistrict_a, MONDAY), booking_on(tree.subdistrict_a, MONDAY)
    services.ticket_take(line=line, now=at(MONDAY, 9, 40))
    on_time = services.ticket_take(line=line, appointment_code=in_grace.code, now=at(MONDAY, 9, 44, 59))
    plain = services.ticket_take(line=line, appointment_code=late.code, now=at(MONDAY, 9, 45))
    assert on_time.priority and not plain.priority and plain.appointment == late
    late.refresh_from_db()
    assert late.status == "booked"
    assert [call(caller, window, minute=n).code for n in range(3)] == ["A002", "A001", "A003"]


def test_a_no_show_or_cancelled_booking_code_is_told_so_not_that_it_is_wrong(tree, line):
    from jiedao.appointments import services as appointments

    no_show, cancelled = booking_on(tree.subdistrict_a, MONDAY), booking_on(tree.subdistrict_a, MONDAY)
    appointments.appointment_cancel(resident=cancelled.resident, appointment=cancelled, now=at(MONDAY, 8))
    assert appointments.no_shows_mark(now=at(MONDAY, 9, 45)) == 1
    expected = {
        no_show.code: "该预约已过预约时段未签到，已记爽约，预约码不能再取号。请清空预约码，直接取普通号。",
        cancelled.code: "该预约已取消，预约码不能再取号。请清空预约码，直接取普通号。",
    }
    for code, message in expected.items():
        with pytest.raises(ValidationFailed) as refused:
            services.ticket_take(line=line, appointment_code=code, now=at(MONDAY, 9, 50))
        assert refused.value.errors["appointment_code"] == [message]
    assert not Ticket.objects.exists()


def test_a_ticket_cancelled_lets_its_booking_code_take_a_number_again(tree, caller, window, line):
    """取消排队 by mistake: the booking code gives the priority number again, and the booking, whose visitor
    is waiting in the hall, is not marked 爽约 when its slot ends."""
    from jiedao.appointments import services as appointments

    booking = booking_on(tree.subdistrict_a, MONDAY)  # 09:00–09:30
    first = services.ticket_take(line=line, appointment_code=booking.code, now=at(MONDAY, 8, 50))
    services.ticket_cancel(ticket=first, now=at(MONDAY, 8, 51))
    again = services.ticket_take(line=line, appointment_code=booking.code, now=at(MONDAY, 8, 52))
    assert (again.code, again.priority, again.appointment) == ("A002", True, booking)
    first.refresh_from_db()
    assert (first.status, first.appointment) == ("cancelled", None)
    cancelled = AuditEvent.objects.get(event_name="queueing.ticket.cancelled")
    assert cancelled.before["appointment"] == booking.code
    assert appointments.no_shows_mark(now=at(MONDAY, 16)) == 0
    booking.refresh_from_db()
    assert booking.status == "booked"
    assert call(caller, window).code == "A002"
