"""A line no working window calls: the kiosk does not offer it and no number is taken there, so no visitor
waits all day for a call that never comes."""

from __future__ import annotations

import pytest

from jiedao.applications.models import ServiceWindow
from jiedao.core.exceptions import ServiceError, ValidationFailed
from jiedao.core.testing import client_for, make_user
from jiedao.queueing import services
from jiedao.queueing.models import Ticket
from jiedao.queueing.tests.factories import (
    LINE_ADMIN,
    booking_now,
    hall_open_now,
    make_line,
    make_window,
    paired_kiosk,
)

pytestmark = pytest.mark.django_db


def test_the_kiosk_offers_no_line_without_a_working_window(tree):
    hall = tree.subdistrict_a
    hall_open_now(tree.district)
    window = make_window(hall, number="3号窗口")
    make_line(hall, "A", window, name="社会救助")
    unassigned = make_line(hall, "B", name="户籍证明")
    stopped_window = make_window(hall, number="5号窗口")
    stopped = make_line(hall, "C", stopped_window, name="居住证")
    ServiceWindow.objects.filter(pk=stopped_window.pk).update(is_active=False)
    kiosk, url = paired_kiosk(hall), f"/queue/hall/{hall.division_code}/"

    page = kiosk.get(url).content.decode()
    assert "社会救助" in page and "户籍证明" not in page and "居住证" not in page
    for line in (unassigned, stopped):
        kiosk.post(url, {"line": line.pk, "phone": "", "appointment_code": ""})
        with pytest.raises(ServiceError, match="暂时没有窗口叫号，暂停取号"):
            services.ticket_take(line=line)
    assert not Ticket.objects.filter(line__in=[unassigned, stopped]).exists()


def test_a_booking_code_takes_the_number_in_a_line_a_window_calls(tree):
    hall = tree.subdistrict_a
    hall_open_now(tree.district)
    make_line(hall, "A", name="无人叫号")
    called = make_line(hall, "B", make_window(hall), name="社会救助")
    booking = booking_now(hall)

    ticket = services.ticket_take(hall=hall, appointment_code=booking.code)

    assert ticket.line == called


def test_the_last_working_window_is_not_taken_from_a_line_with_visitors_waiting(tree):
    hall = tree.subdistrict_a
    hall_open_now(tree.district)
    window = make_window(hall, number="3号窗口")
    line = make_line(hall, "A", window, name="社会救助")
    services.ticket_take(line=line)
    client = client_for(make_user(hall, *LINE_ADMIN))
    data = {"name": "社会救助", "prefix": "A", "windows": [], "is_active": "on"}
    page = client.post(f"/queue/staff/lines/{line.pk}/", data).content.decode()
    assert "本队列现在还有 1 人等候，请至少保留一个在用的叫号窗口，否则这些群众无人叫号。" in page
    assert list(line.windows.all()) == [window]
    ServiceWindow.objects.filter(pk=window.pk).update(
        is_active=False
    )  # stopped: keeping it alone is refused too
    with pytest.raises(ValidationFailed, match="还有 1 人等候"):
        services.line_save(
            actor=make_user(hall, *LINE_ADMIN),
            org=hall,
            name="社会救助",
            prefix="A",
            window_ids=[window.pk],
            line=line,
        )
    Ticket.objects.update(status="done")  # nobody waiting: the line may be left without windows
    assert client.post(f"/queue/staff/lines/{line.pk}/", data).status_code == 302
    assert not line.windows.exists()


def test_a_window_serving_a_visitor_or_last_to_call_a_waiting_line_is_not_stopped(tree):
    """停用 in the window admin: refused, with the counts, while the window serves a visitor or while it is
    the last working window of a line with visitors waiting; they would stay stuck until the day's end."""
    from jiedao.applications import services as applications
    from jiedao.queueing.tests.factories import make_caller

    hall = tree.subdistrict_a
    hall_open_now(tree.district)
    window, other = make_window(hall, number="3号窗口"), make_window(hall, number="4号窗口")
    caller = make_caller(hall, window)
    alone = make_line(hall, "A", window, name="社会救助")
    shared = make_line(hall, "B", window, other, name="户籍证明")
    served = services.ticket_take(line=shared)
    services.ticket_take(line=alone)
    services.ticket_take(line=alone)
    services.ticket_take(line=shared)
    assert services.ticket_call_next(actor=caller, window=window) == served  # B001: taken first, same rank
    admin = make_user(
        hall, "applications.view_servicewindow", "applications.change_servicewindow", "accounts.view_user"
    )
    client = client_for(admin)
    data = {"number": "3号窗口", "name": "综合受理", "staff": [caller.pk]}  # 在用 left unticked

    page = client.post(f"/hall/staff/windows/{window.pk}/edit/", data).content.decode()
    assert "本窗口正在办理 1 人（B001），请先办结或过号后再停用。" in page
    assert "本窗口是“社会救助”唯一在用的叫号窗口，现在还有 2 人等候" in page
    window.refresh_from_db()
    assert window.is_active

    services.ticket_finish(actor=caller, ticket=served)
    with pytest.raises(ValidationFailed, match="现在还有 2 人等候") as refused:
        applications.window_update(
            actor=admin, window=window, number="3号窗口", name="综合受理", is_active=False
        )
    assert "正在办理" not in str(refused.value.errors)
    Ticket.objects.filter(line=alone).update(status="done")  # 户籍证明's visitor is still called by 4号窗口
    assert client.post(f"/hall/staff/windows/{window.pk}/edit/", data).status_code == 302
    window.refresh_from_db()
    assert not window.is_active
