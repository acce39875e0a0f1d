"""The pages of 排队叫号 as visitors and window staff see them: Chinese, the kiosk's refusals, no personal data
on the public pages, and the window's buttons only for its own staff."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from jiedao.core.testing import client_for, make_user
from jiedao.parameters.services import parameter_set
from jiedao.queueing import services
from jiedao.queueing.models import QueueLine, Ticket
from jiedao.queueing.tests.factories import (
    LINE_ADMIN,
    booking_now,
    booking_on,
    hall_open_now,
    make_caller,
    make_line,
    make_window,
    paired_kiosk,
)

pytestmark = pytest.mark.django_db
PHONE = "13900005678"


@pytest.fixture
def window(tree):
    return make_window(tree.subdistrict_a, number="3号窗口")


@pytest.fixture
def caller(tree, window):
    return make_caller(tree.subdistrict_a, window, "applications.add_application")


@pytest.fixture
def line(tree, window):
    return make_line(tree.subdistrict_a, "A", window, name="社会救助")


@pytest.fixture
def kiosk_url(tree):
    return f"/queue/hall/{tree.subdistrict_a.division_code}/"


@pytest.fixture
def kiosk(tree):
    """The hall's registered 取号机."""
    return paired_kiosk(tree.subdistrict_a)


def test_take_a_number_at_the_kiosk_and_follow_the_ticket(tree, line, kiosk_url, kiosk):
    hall_open_now(tree.district)
    page = kiosk.get(kiosk_url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "甲街道 取号" in text and "社会救助" in text and "0 人等候" in text
    # A shared kiosk: the browser neither offers nor keeps the previous visitor's phone.
    assert re.search(r'<input[^>]*name="phone"[^>]*autocomplete="off"', text) or re.search(
        r'<input[^>]*autocomplete="off"[^>]*name="phone"', text
    )
    response = kiosk.post(kiosk_url, {"line": line.pk, "phone": PHONE, "appointment_code": ""})
    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/queue/t/{ticket.token}/taken/"
    shown = Client().get(response["Location"]).content.decode()
    assert "A001" in shown and "社会救助" in shown and "下一位就是您" in shown
    assert PHONE not in shown and "139****5678" not in shown
    # The shared kiosk: no button acting on the ticket, and back to the take page by itself.
    assert "取号成功" in shown and "30 秒后自动回到取号页面" in shown
    assert f'data-kiosk-return="{kiosk_url}?next_visitor=1" data-kiosk-return-after="30"' in shown
    assert "取消排队" not in shown and f"/queue/t/{ticket.token}/cancel/" not in shown
    # The QR code's page, on the visitor's own phone, lets them cancel.
    own = Client().get(f"/queue/t/{ticket.token}/").content.decode()
    assert "取消排队" in own and "取号成功" not in own and "load delay" not in own
    services.ticket_take(line=line)
    second = Ticket.objects.get(code="A002")
    status = Client().get(f"/queue/t/{second.token}/status/").content.decode()
    assert "前面还有 1 位" in status
    assert Client().get("/queue/t/not-a-token/").status_code == 404


def test_the_kiosk_ticket_page_is_not_kept_for_the_next_visitors_back_button(tree, line, kiosk_url, kiosk):
    """The browser stores neither the take page nor the ticket page, the ticket page replaces itself by the
    take page in the history, and reloaded (Back) once its time has passed it gives the take page."""
    import datetime as dt

    hall_open_now(tree.district)
    taken = kiosk.post(kiosk_url, {"line": line.pk, "appointment_code": ""})["Location"]
    page = kiosk.get(taken)
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    text = page.content.decode()
    back_url = f"{kiosk_url}?next_visitor=1"  # the take page as the hall set it up (see below)
    assert "A001" in text and f'data-kiosk-return="{back_url}"' in text
    assert re.search(rf'<a [^>]*href="{re.escape(back_url)}" data-replace-history>返回取号</a>', text)
    Ticket.objects.update(taken_at=Ticket.objects.get().taken_at - dt.timedelta(seconds=61))
    back = kiosk.get(taken)
    assert back.status_code == 302 and back["Location"] == back_url
    assert back["Cache-Control"] == "no-store"
    # The visitor's own page (the QR code's, on their phone) stays as it was.
    token = Ticket.objects.get().token
    assert "A001" in Client().get(f"/queue/t/{token}/").content.decode()


def test_the_next_visitor_finds_the_kiosk_in_chinese_and_normal_type(tree, line, kiosk_url, kiosk):
    """A visitor switched the kiosk to 长者模式 and English: once their ticket page goes back to the take page,
    the next visitor finds it as the hall set it up, not in the previous visitor's choice."""
    hall_open_now(tree.district)
    kiosk.post("/elder-mode/", {"on": "1", "next": kiosk_url})
    kiosk.post("/language/", {"language": "en", "next": kiosk_url})
    chosen = kiosk.get(kiosk_url).content.decode()
    assert 'class="public elder"' in chosen and 'lang="en"' in chosen
    taken = kiosk.get(kiosk.post(kiosk_url, {"line": line.pk, "appointment_code": ""})["Location"])
    back = re.search(r'data-kiosk-return="([^"]+)"', taken.content.decode())[1]
    page = kiosk.get(back, follow=True)
    assert page.redirect_chain == [(kiosk_url, 302)]
    text = page.content.decode()
    assert "甲街道 取号" in text and 'lang="zh-hans"' in text and "public elder" not in text


def test_the_kiosk_says_why_and_keeps_what_was_typed(tree, line, kiosk_url, kiosk):
    hall_open_now(tree.district)
    response = kiosk.post(kiosk_url, {"line": line.pk, "phone": "12345", "appointment_code": "nope"})
    text = response.content.decode()
    assert response.status_code == 200
    assert "请填写正确的 11 位手机号码" in text and 'value="12345"' in text
    response = kiosk.post(kiosk_url, {"line": line.pk, "appointment_code": "WRONG123"})
    assert "预约码不正确，或不是本服务大厅今天的预约" in response.content.decode()
    response = kiosk.post(kiosk_url, {"phone": PHONE})
    assert "请选择要办理的业务。" in response.content.decode()
    assert not Ticket.objects.exists()


def test_a_booking_code_at_the_kiosk_gives_a_priority_ticket(tree, line, kiosk_url, kiosk):
    hall_open_now(tree.district)
    booking = booking_now(tree.subdistrict_a)
    response = kiosk.post(kiosk_url, {"line": line.pk, "appointment_code": booking.code})
    shown = Client().get(response["Location"]).content.decode()
    assert "预约优先" in shown
    again = kiosk.post(kiosk_url, {"line": line.pk, "appointment_code": booking.code}).content.decode()
    assert "该预约码已经取过号（A001），每个预约只能优先取号一次。" in again
    assert Ticket.objects.count() == 1


def test_the_kiosk_refuses_a_closed_day(tree, line, kiosk_url, kiosk):
    hall_open_now(tree.district, False)
    page = kiosk.get(kiosk_url).content.decode()
    assert "不是工作日，服务大厅不办理业务，不能取号" in page
    response = kiosk.post(kiosk_url, {"line": line.pk})
    assert "不是工作日，服务大厅不办理业务，不能取号" in response.content.decode()
    assert not Ticket.objects.exists()


def test_a_hall_without_lines_has_no_kiosk(tree):
    assert Client().get(f"/queue/hall/{tree.subdistrict_b.division_code}/").status_code == 404
    assert Client().get(f"/queue/hall/{tree.subdistrict_b.division_code}/screen/").status_code == 404


def test_the_window_calls_and_the_display_shows_without_personal_data(tree, caller, window, line):
    hall_open_now(tree.district)
    services.ticket_take(line=line, phone=PHONE)
    services.ticket_take(line=line)
    client = client_for(caller)
    page = client.get("/queue/staff/window/", follow=True)
    text = page.content.decode()
    assert "窗口叫号：3号窗口 综合受理" in text and "2 人等候" in text
    response = client.post(f"/queue/staff/windows/{window.pk}/call/", {"current": ""}, follow=True)
    text = response.content.decode()
    assert "已叫号 A001（社会救助）。" in text and "139****5678" in text and "窗口收件" in text
    # The same form sent again (a double click, an old tab): refused, A001 stays the one being served.
    again = client.post(
        f"/queue/staff/windows/{window.pk}/call/", {"current": ""}, follow=True
    ).content.decode()
    assert "3号窗口刚刚已叫号（正在办理 A001）" in again
    assert (
        Ticket.objects.get(code="A001").status == "called"
        and Ticket.objects.get(code="A002").status == "waiting"
    )
    for url in (
        f"/queue/hall/{tree.subdistrict_a.division_code}/screen/",
        f"/queue/hall/{tree.subdistrict_a.division_code}/screen/board/",
    ):
        screen = Client().get(url).content.decode()
        assert "A001" in screen and "3号窗口" in screen and "1 人" in screen
        assert PHONE not in screen and "139****5678" not in screen and caller.full_name not in screen
    page = paired_kiosk(tree.subdistrict_a).get(f"/queue/hall/{tree.subdistrict_a.division_code}/")
    assert PHONE not in page.content.decode() and "139****5678" not in page.content.decode()


def test_calling_from_a_page_whose_visitor_was_finished_meanwhile_says_so(tree, caller, window, line):
    """Two staff at one window: one finishes the visitor the other's page still shows; the other's 叫下一位 is
    refused (nothing called twice) and told that visitor was finished, not "正在办理 无"."""
    hall_open_now(tree.district)
    services.ticket_take(line=line)
    services.ticket_take(line=line)
    first = services.ticket_call_next(actor=caller, window=window)
    services.ticket_finish(actor=caller, ticket=first)
    text = (
        client_for(caller)
        .post(f"/queue/staff/windows/{window.pk}/call/", {"current": first.pk}, follow=True)
        .content.decode()
    )
    assert "3号窗口正在办理的号刚刚已办结或过号，本次没有叫号，请看页面上的最新情况后再叫下一位。" in text
    assert "正在办理 无" not in text
    assert Ticket.objects.get(code="A002").status == "waiting"


def test_a_booking_code_of_another_day_at_the_kiosk_says_the_day_booked(tree, line, kiosk_url, kiosk):
    """The visitor came on the wrong day: told the day of their booking, not that the code is wrong."""
    import datetime as dt

    from jiedao.queueing.selectors import today
    from jiedao.workcalendar.services import date_with_weekday

    hall_open_now(tree.district)
    tomorrow = today() + dt.timedelta(days=1)
    booking = booking_on(tree.subdistrict_a, tomorrow)
    text = kiosk.post(kiosk_url, {"line": "booking", "appointment_code": booking.code}).content.decode()
    assert f"该预约的日期是 {date_with_weekday(tomorrow)}，不是今天，预约码只能在预约当天取号。" in text
    assert "预约码不正确" not in text and not Ticket.objects.exists()


def test_skip_and_requeue_at_the_window(tree, caller, window, line):
    hall_open_now(tree.district)
    [first, _second] = [services.ticket_take(line=line), services.ticket_take(line=line)]
    client = client_for(caller)
    client.post(f"/queue/staff/windows/{window.pk}/call/")
    text = client.post(
        f"/queue/staff/windows/{window.pk}/tickets/{first.pk}/skip/", follow=True
    ).content.decode()
    assert "A001 已过号" in text and "重新排队" in text
    text = client.post(
        f"/queue/staff/windows/{window.pk}/tickets/{first.pk}/requeue/", follow=True
    ).content.decode()
    assert "A001 已重新排队，排在队尾。" in text
    first.refresh_from_db()
    assert first.status == "waiting"
    text = client.post(
        f"/queue/staff/windows/{window.pk}/tickets/{first.pk}/finish/", follow=True
    ).content.decode()
    assert "A001 号等候中，不能这样操作，请刷新页面。" in text


def test_staff_of_another_window_or_hall_are_refused_and_nothing_changes(tree, caller, window, line):
    hall_open_now(tree.district)
    ticket = services.ticket_take(line=line)
    colleague = make_caller(tree.subdistrict_a, make_window(tree.subdistrict_a))
    stranger = make_caller(tree.subdistrict_b, make_window(tree.subdistrict_b))
    for user, status in ((colleague, 403), (stranger, 404)):
        client = client_for(user)
        assert client.get(f"/queue/staff/windows/{window.pk}/").status_code == status
        assert client.post(f"/queue/staff/windows/{window.pk}/call/").status_code == status
    client_for(caller).post(f"/queue/staff/windows/{window.pk}/call/")
    for user, status in ((colleague, 403), (stranger, 404)):
        for action in ("recall", "skip", "finish"):
            url = f"/queue/staff/windows/{window.pk}/tickets/{ticket.pk}/{action}/"
            assert client_for(user).post(url).status_code == status
    ticket.refresh_from_db()
    assert (ticket.status, ticket.recall_count, ticket.called_by) == ("called", 0, caller)
    nobody = make_user(tree.subdistrict_a)
    assert client_for(nobody).get("/queue/staff/window/").status_code == 403


def test_the_hall_admin_sets_up_a_line_and_reads_todays_statistics(tree, window, line):
    hall_open_now(tree.district)
    admin = make_user(tree.subdistrict_a, *LINE_ADMIN)
    client = client_for(admin)
    page = client.get("/queue/staff/lines/").content.decode()
    assert "排队叫号设置" in page and "今日排队统计" in page and "社会救助" in page
    response = client.post(
        "/queue/staff/lines/new/",
        {
            "org": tree.subdistrict_a.pk,
            "name": "户籍",
            "prefix": "a",
            "windows": [window.pk],
            "is_active": "on",
        },
    )
    assert "本服务大厅已有字头为 A 的业务队列" in response.content.decode()
    response = client.post(
        "/queue/staff/lines/new/",
        {
            "org": tree.subdistrict_a.pk,
            "name": "户籍",
            "prefix": "b",
            "windows": [window.pk],
            "is_active": "on",
        },
        follow=True,
    )
    assert "业务队列“B 户籍”已保存。" in response.content.decode()
    created = QueueLine.objects.get(prefix="B")
    assert list(created.windows.all()) == [window]
    response = client.post(
        f"/queue/staff/lines/{created.pk}/", {"name": "户籍办理", "prefix": "B"}, follow=True
    )
    created.refresh_from_db()
    assert created.name == "户籍办理" and not created.is_active and not created.windows.exists()
    outsider = client_for(make_user(tree.subdistrict_b, *LINE_ADMIN))
    assert outsider.get(f"/queue/staff/lines/{created.pk}/").status_code == 404
    services.ticket_take(line=line)
    services.ticket_take(line=line)
    stats = client.get("/queue/staff/lines/").content.decode()
    # 取号数 2, 已叫号 0, 已办结 0, 已过号 0, 等候中 2, no average wait yet
    assert (
        "<tr><td>甲街道 A 社会救助</td><td>2</td><td>0</td><td>0</td><td>0</td><td>2</td>\n<td>—</td></tr>"
        in stats
    )


def test_saving_a_line_keeps_a_stopped_window_unless_unticked(tree, window):
    """A window stopped (停用) while it calls a line is shown on the line's form, marked 已停用 and ticked;
    saving the form as it is keeps it, unticking it removes it. A new line offers only working windows."""
    from jiedao.applications.models import ServiceWindow

    stopped = make_window(tree.subdistrict_a, number="5号窗口")
    line = make_line(tree.subdistrict_a, "A", window, stopped, name="社会救助")
    ServiceWindow.objects.filter(pk=stopped.pk).update(is_active=False)
    client = client_for(make_user(tree.subdistrict_a, *LINE_ADMIN))
    url = f"/queue/staff/lines/{line.pk}/"
    form = client.get(url).content.decode()
    assert "甲街道 5号窗口 综合受理（已停用）" in form
    ticked = re.findall(r'<input type="checkbox" name="windows" value="(\d+)"[^>]*checked', form)
    assert sorted(map(int, ticked)) == sorted([window.pk, stopped.pk])
    data = {"name": "社会救助", "prefix": "A", "windows": ticked, "is_active": "on"}
    assert client.post(url, data).status_code == 302
    assert set(line.windows.all()) == {window, stopped}
    client.post(url, {**data, "windows": [window.pk]})
    assert list(line.windows.all()) == [window]
    assert "5号窗口" not in client.get(url).content.decode()
    assert "5号窗口" not in client.get("/queue/staff/lines/new/").content.decode()


def test_the_visitor_cancels_and_those_behind_move_up(tree, caller, window, line):
    hall_open_now(tree.district)
    first, second = services.ticket_take(line=line), services.ticket_take(line=line)
    assert "取消排队" in Client().get(f"/queue/t/{first.token}/").content.decode()
    response = Client().post(f"/queue/t/{first.token}/cancel/", follow=True)
    assert "已取消" in response.content.decode() and "取消排队" not in response.content.decode()
    from jiedao.audit.models import AuditEvent

    assert AuditEvent.objects.get(event_name="queueing.ticket.cancelled").actor_name == "visitor"
    assert "下一位就是您" in Client().get(f"/queue/t/{second.token}/status/").content.decode()
    lines = client_for(caller).get(f"/queue/staff/windows/{window.pk}/lines/").content.decode()
    assert "1 人等候" in lines
    client_for(caller).post(f"/queue/staff/windows/{window.pk}/call/")
    second.refresh_from_db()
    assert second.status == "called"
    Client().post(f"/queue/t/{second.token}/cancel/")  # called already: the window serves them
    second.refresh_from_db()
    assert second.status == "called"


def test_a_booking_code_used_early_for_a_plain_number_is_not_said_to_have_had_priority(
    tree, line, kiosk_url, kiosk
):
    """A visitor hours before their slot got a plain number with the code; trying the code again they are
    told that number waits as a plain one, not that their priority was used."""
    import datetime as dt

    from django.utils import timezone

    from jiedao.appointments.models import Appointment

    hall_open_now(tree.district)
    booking = booking_now(tree.subdistrict_a)
    later = timezone.now() + dt.timedelta(hours=3)  # the slot begins in three hours: too early for 优先
    Appointment.objects.filter(pk=booking.pk).update(
        starts_at=later, ends_at=later + dt.timedelta(minutes=30)
    )
    first = kiosk.post(kiosk_url, {"line": "booking", "appointment_code": booking.code})
    assert first.status_code == 302 and not Ticket.objects.get().priority
    again = kiosk.post(kiosk_url, {"line": "booking", "appointment_code": booking.code}).content.decode()
    assert "该预约码已经取过号（A001，按普通号排队），每个预约码只能取一次号，请凭该号等候叫号。" in again
    assert "优先取号一次" not in again


def test_a_booking_code_taken_long_before_the_slot_says_it_waits_as_plain(tree, line):
    from jiedao.queueing.tests.factories import MONDAY, at

    booking = booking_on(tree.subdistrict_a, MONDAY)  # 09:00
    ticket = services.ticket_take(line=line, appointment_code=booking.code, now=at(MONDAY, 8, 29))
    shown = Client().get(f"/queue/t/{ticket.token}/").content.decode()
    assert "您的预约时段 09:00 开始；预约码在开始前 30 分钟内取号才优先叫号，本号按普通号排队。" in shown


def test_a_booking_code_taken_after_the_slot_and_grace_says_it_waits_as_plain(tree, line):
    from jiedao.queueing.tests.factories import MONDAY, at

    booking = booking_on(tree.subdistrict_a, MONDAY)  # 09:00–09:30, 15 minutes' grace
    ticket = services.ticket_take(line=line, appointment_code=booking.code, now=at(MONDAY, 10))
    shown = Client().get(f"/queue/t/{ticket.token}/").content.decode()
    assert "您的预约时段 09:00–09:30 已过（结束后 15 分钟内取号仍优先叫号），本号按普通号排队。" in shown
    assert "开始前 30 分钟内取号才优先叫号" not in shown


def test_the_windows_messages_are_in_the_users_language(tree, caller, window, line):
    hall_open_now(tree.district)
    services.ticket_take(line=line)
    client = client_for(caller)
    client.post(f"/queue/staff/windows/{window.pk}/call/", {"current": ""})
    ticket = Ticket.objects.get(code="A001")
    english = client.post(
        f"/queue/staff/windows/{window.pk}/tickets/{ticket.pk}/recall/",
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()
    assert "Called A001 again." in english and "已重呼" not in english
    chinese = client.post(f"/queue/staff/windows/{window.pk}/tickets/{ticket.pk}/recall/", follow=True)
    assert "已重呼 A001。" in chinese.content.decode()


def test_the_kiosk_refused_for_too_many_numbers_answers_429(tree, line, kiosk_url, kiosk):
    hall_open_now(tree.district)
    admin = make_user(tree.district, "parameters.manage_systemparameter", scope="all")
    parameter_set(actor=admin, key="queueing.takes_per_hour", raw_value="1")
    assert kiosk.post(kiosk_url, {"line": line.pk, "phone": PHONE}).status_code == 302
    refused = kiosk.post(kiosk_url, {"line": line.pk, "phone": PHONE})
    assert refused.status_code == 429
    text = refused.content.decode()
    assert (
        "本机取号过于频繁，请稍后再试，或咨询大厅工作人员。" in text and PHONE in text
    )  # what was typed stays
    assert Ticket.objects.count() == 1


def test_the_windows_poll_reads_only_the_lines(tree, caller, window, line):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    hall_open_now(tree.district)
    services.ticket_take(line=line)
    client = client_for(caller)
    client.post(f"/queue/staff/windows/{window.pk}/call/", {"current": ""})
    services.ticket_take(line=line)
    with CaptureQueriesContext(connection) as queries:
        text = client.get(f"/queue/staff/windows/{window.pk}/lines/").content.decode()
    assert "A 社会救助" in text and "1 人等候" in text
    tickets = [q["sql"] for q in queries.captured_queries if '"queueing_ticket"' in q["sql"]]
    assert len(tickets) == 1, tickets  # the waiting counts; not the visitor served nor the skipped


def test_the_kiosks_buttons_refresh_without_the_typed_phone(tree, line, kiosk_url, kiosk):
    hall_open_now(tree.district)
    page = kiosk.get(kiosk_url).content.decode()
    region = re.search(r'<div hx-get="([^"]+)" hx-trigger="every 60s"[^>]*data-testid="kiosk-lines">', page)
    assert region is not None and region.group(1) == f"{kiosk_url}lines/?shown=open"
    services.ticket_take(line=line)
    refreshed = kiosk.get(region.group(1))
    buttons = refreshed.content.decode()
    assert "社会救助" in buttons and "1 人等候" in buttons and 'name="line"' in buttons
    assert 'name="phone"' not in buttons and 'name="appointment_code"' not in buttons  # what was typed stays
    assert "HX-Refresh" not in refreshed
    hall_open_now(tree.district, workday=False)
    closing = kiosk.get(region.group(1))
    closed = closing.content.decode()
    assert "不是工作日" in closed and "disabled" in closed
    # The kiosk left on from the day before: 凭预约码取号 beside the buttons changes with them, by a reload.
    assert closing["HX-Refresh"] == "true"
    page = kiosk.get(kiosk_url).content.decode()
    assert re.search(r'data-testid="take-by-booking" disabled', page)
    region = re.search(r'<div hx-get="([^"]+)" hx-trigger="every 60s"[^>]*data-testid="kiosk-lines">', page)
    hall_open_now(tree.district)
    assert kiosk.get(region.group(1))["HX-Refresh"] == "true"
    assert 'data-testid="take-by-booking" disabled' not in kiosk.get(kiosk_url).content.decode()


def test_walk_in_from_the_window_of_a_visitor_who_came_with_a_booking_registers_the_booking(
    tree, window, line
):
    """The visitor took the number with a booking code; 叫下一位 checks the booking in, and 窗口收件 on the
    window's page opens the form filled from the booking, whose application then carries the booking."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from jiedao.applications.models import Application
    from jiedao.applications.tests.factories import CLERK_PERMISSIONS, PDF
    from jiedao.appointments.tests.factories import WINDOW

    day = hall_open_now(tree.district)
    clerk = make_caller(tree.subdistrict_a, window, *WINDOW, *CLERK_PERMISSIONS)
    booking = booking_on(tree.subdistrict_a, day)
    services.ticket_take(line=line, appointment_code=booking.code)
    client = client_for(clerk)
    page = client.post(
        f"/queue/staff/windows/{window.pk}/call/", {"current": ""}, follow=True
    ).content.decode()
    booking.refresh_from_db()
    assert booking.status == "checked_in"
    walk_in = reverse("applications:walk_in")
    current = page[page.index('data-testid="current"') :]
    link = re.search(rf'href="({re.escape(walk_in)}[^"]*)"', current)
    assert link is not None, page
    url = link.group(1).replace("&amp;", "&")
    assert url == f"{walk_in}?appointment={booking.pk}"
    form = client.get(url).content.decode()
    assert booking.name in form and booking.item.name in form
    response = client.post(
        url,
        {
            "item": str(booking.item_id),
            "applicant_name": booking.name,
            "applicant_id_number": "110105197505050017",
            "applicant_phone": "13800138000",
            "other": SimpleUploadedFile("申请表.pdf", PDF, content_type="application/pdf"),
        },
    )
    assert response.status_code == 302, response.content.decode()
    assert Application.objects.get().appointment_id == booking.pk


def test_walk_in_from_the_window_without_a_checked_in_booking_keeps_the_item(tree, window, line):
    """The caller may not check in: the booking is left to 今日预约, and 窗口收件 opens the booked item."""
    day = hall_open_now(tree.district)
    caller = make_caller(tree.subdistrict_a, window, "applications.add_application")
    booking = booking_on(tree.subdistrict_a, day)
    services.ticket_take(line=line, appointment_code=booking.code)
    page = client_for(caller).post(f"/queue/staff/windows/{window.pk}/call/", follow=True).content.decode()
    assert f'href="{reverse("applications:walk_in")}?item={booking.item_id}"' in page


def test_a_ticket_no_longer_in_the_queue_says_so_without_the_ways_to_follow_it(tree, caller, window, line):
    """Finished, or gone at the day's end: the page says where the ticket stands, and no longer offers its QR
    code, 打印 and the hints for following the queue (过号的请到窗口说明…), which no longer apply."""
    hall_open_now(tree.district)
    finished, waiting = services.ticket_take(line=line), services.ticket_take(line=line)
    live = Client().get(f"/queue/t/{waiting.token}/").content.decode()
    assert 'data-testid="ticket-qr"' in live and "过号的请到窗口说明" in live and "data-print" in live
    services.ticket_finish(actor=caller, ticket=services.ticket_call_next(actor=caller, window=window))
    Ticket.objects.filter(pk=waiting.pk).update(status="expired")
    done = Client().get(f"/queue/t/{finished.token}/").content.decode()
    assert "已办结" in done
    expired = Client().get(f"/queue/t/{waiting.token}/").content.decode()
    assert "这是以前的排队号，已失效，请重新取号。" in expired
    for page in (done, expired):
        assert 'data-testid="ticket-qr"' not in page and "过号的请到窗口说明" not in page
        assert "data-print" not in page and "取消排队" not in page
