"""业务队列 serving 事项: a booking's ticket is taken in the line that serves the booked item (with priority),
whichever button the visitor pressed; a line with no items set takes any booking of the hall, as before; no
open line serving the item is said in Chinese and nothing is taken."""

from __future__ import annotations

import pytest

from jiedao.applications.tests.factories import make_item
from jiedao.audit.models import AuditEvent
from jiedao.core.exceptions import ValidationFailed
from jiedao.core.testing import client_for, make_user
from jiedao.queueing import services
from jiedao.queueing.models import QueueLine, Ticket
from jiedao.queueing.tests.factories import (
    LINE_ADMIN,
    MONDAY,
    at,
    booking_now,
    booking_on,
    hall_open_now,
    make_line,
    make_window,
    paired_kiosk,
)

pytestmark = pytest.mark.django_db
EARLY = at(MONDAY, 8, 45)  # a quarter of an hour before the 09:00 slot: 预约优先


@pytest.fixture
def window(tree):
    return make_window(tree.subdistrict_a, number="3号窗口")


@pytest.fixture
def admin(tree):
    return make_user(tree.subdistrict_a, *LINE_ADMIN)


def serving(admin, line: QueueLine, *items) -> QueueLine:
    return services.line_save(
        actor=admin,
        org=line.org,
        name=line.name,
        prefix=line.prefix,
        window_ids=list(line.windows.values_list("pk", flat=True)),
        item_ids=[item.pk for item in items],
        is_active=line.is_active,
        line=line,
    )


def test_a_booking_takes_its_ticket_in_the_line_serving_the_booked_item(tree, window, admin):
    booking = booking_on(tree.subdistrict_a, MONDAY)
    relief = serving(admin, make_line(tree.subdistrict_a, "A", window, name="社会救助"), booking.item)
    household = serving(
        admin, make_line(tree.subdistrict_a, "B", window, name="户籍"), make_item(tree.subdistrict_a)
    )
    ticket = services.ticket_take(line=household, appointment_code=booking.code, now=EARLY)
    assert (ticket.line, ticket.code, ticket.priority, ticket.appointment) == (relief, "A001", True, booking)
    plain = services.ticket_take(line=household, now=EARLY)
    assert (plain.line, plain.code, plain.priority) == (household, "B001", False)
    # Without choosing a line, by the code alone: the same.
    other = booking_on(tree.subdistrict_a, MONDAY)
    serving(admin, relief, booking.item, other.item)
    by_code = services.ticket_take(hall=tree.subdistrict_a, appointment_code=other.code, now=EARLY)
    assert (by_code.line, by_code.priority) == (relief, True)


def test_a_line_without_items_takes_any_booking_of_the_hall_as_before(tree, window, admin):
    booking = booking_on(tree.subdistrict_a, MONDAY)
    household = serving(
        admin, make_line(tree.subdistrict_a, "B", window, name="户籍"), make_item(tree.subdistrict_a)
    )
    anything = make_line(tree.subdistrict_a, "A", window, name="综合")
    ticket = services.ticket_take(line=household, appointment_code=booking.code, now=EARLY)
    assert (ticket.line, ticket.priority) == (anything, True)


def test_no_open_line_serving_the_booked_item_is_said_and_nothing_is_taken(tree, window, admin):
    booking = booking_on(tree.subdistrict_a, MONDAY)
    closed = make_line(tree.subdistrict_a, "A", window, name="社会救助")
    closed.is_active = False
    closed.save()
    serving(admin, closed, booking.item)
    household = serving(
        admin, make_line(tree.subdistrict_a, "B", window, name="户籍"), make_item(tree.subdistrict_a)
    )
    with pytest.raises(ValidationFailed) as refused:
        services.ticket_take(line=household, appointment_code=booking.code, now=EARLY)
    assert refused.value.errors["appointment_code"] == [
        f"您预约的事项“{booking.item.name}”不在本大厅目前开放取号的业务队列中，不能凭预约码取号，"
        "请咨询大厅工作人员。"
    ]
    assert not Ticket.objects.exists()


def test_a_line_serves_only_items_of_its_own_hall(tree, window, admin):
    line = make_line(tree.subdistrict_a, "A", window)
    ours, theirs = make_item(tree.subdistrict_a, name="低保申请"), make_item(tree.subdistrict_b)
    with pytest.raises(ValidationFailed) as refused:
        serving(admin, line, ours, theirs)
    assert refused.value.errors["items"] == ["所选事项不是本服务大厅办理的事项，请重新选择。"]
    assert not line.items.exists()
    serving(admin, line, ours)
    assert list(line.items.all()) == [ours]
    saved = AuditEvent.objects.filter(event_name="queueing.line.saved").order_by("id").last()
    assert saved.after["items"] == ["低保申请"]


def test_the_line_form_sets_the_items_and_the_kiosk_routes_a_booking_code(tree, window, admin):
    hall_open_now(tree.district)
    booking = booking_now(tree.subdistrict_a)
    elsewhere = make_item(tree.subdistrict_b, name="外街道事项")
    household = make_line(tree.subdistrict_a, "B", window, name="户籍")
    staff = client_for(admin)
    form = staff.get("/queue/staff/lines/new/").content.decode()
    assert booking.item.name in form and "外街道事项" not in form
    response = staff.post(
        "/queue/staff/lines/new/",
        {
            "org": tree.subdistrict_a.pk,
            "name": "社会救助",
            "prefix": "A",
            "windows": [window.pk],
            "items": [booking.item.pk],
            "is_active": "on",
        },
        follow=True,
    )
    assert "业务队列“A 社会救助”已保存。" in response.content.decode()
    relief = QueueLine.objects.get(prefix="A")
    assert list(relief.items.all()) == [booking.item]
    edit = staff.get(f"/queue/staff/lines/{relief.pk}/").content.decode()
    assert booking.item.name in edit and elsewhere.name not in edit
    assert booking.item.name in staff.get("/queue/staff/lines/").content.decode()
    serving(admin, household, make_item(tree.subdistrict_a, name="户口迁移"))

    kiosk = paired_kiosk(tree.subdistrict_a)
    url = f"/queue/hall/{tree.subdistrict_a.division_code}/"
    page = kiosk.get(url).content.decode()
    assert "凭预约码取号" in page and booking.item.name in page and "户口迁移" in page
    empty = kiosk.post(url, {"line": "booking", "appointment_code": ""}).content.decode()
    assert "请填写预约短信中的预约码" in empty and not Ticket.objects.exists()
    taken = kiosk.post(url, {"line": household.pk, "appointment_code": booking.code})
    ticket = Ticket.objects.get()
    assert taken["Location"] == f"/queue/t/{ticket.token}/taken/"
    assert (ticket.line, ticket.code, ticket.priority) == (relief, "A001", True)
