"""取号机 as a registered device, not a public page: numbers are taken only on a device the hall's queue
administrator registered by a single-use link (QR code, ten minutes); any other browser is told it is not a
registered kiosk and takes nothing. The administrator lists and stops (停用) the hall's kiosks; all audited.
The display and the visitor's own ticket page stay public."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from jiedao.audit.models import AuditEvent
from jiedao.core.testing import client_for, make_user
from jiedao.queueing import services
from jiedao.queueing.models import KioskDevice, Ticket
from jiedao.queueing.tests.factories import LINE_ADMIN, hall_open_now, make_line, make_window, paired_kiosk
from jiedao.queueing.views import KIOSK_COOKIE

pytestmark = pytest.mark.django_db
LINK = re.compile(r'data-testid="kiosk-pairing-link">http://127\.0\.0\.1:8000(/queue/kiosk/pair/[^/]+/)<')


@pytest.fixture
def line(tree):
    return make_line(tree.subdistrict_a, "A", make_window(tree.subdistrict_a), name="社会救助")


@pytest.fixture
def admin(tree):
    return make_user(tree.subdistrict_a, *LINE_ADMIN)


def kiosk_url(hall) -> str:
    return f"/queue/hall/{hall.division_code}/"


def test_an_unregistered_browser_is_told_how_to_register_and_takes_nothing(tree, line):
    hall_open_now(tree.district)
    url = kiosk_url(tree.subdistrict_a)
    page = Client().get(url)
    text = page.content.decode()
    assert page.status_code == 403 and page["Cache-Control"] == "no-store"
    assert "本终端未登记为取号机" in text and "甲街道" in text and "登记取号机" in text
    assert 'name="line"' not in text and "社会救助" not in text
    refused = Client().post(url, {"line": line.pk})
    assert refused.status_code == 403 and "本终端未登记为取号机" in refused.content.decode()
    buttons = Client().get(f"{url}lines/", headers={"HX-Request": "true"})
    assert buttons.status_code == 403 and buttons["HX-Refresh"] == "true"
    assert not Ticket.objects.exists()
    # The display shows no one's data: it stays a public page, as does a visitor's ticket.
    assert Client().get(f"{url}screen/").status_code == 200
    ticket = services.ticket_take(line=line)
    assert Client().get(f"/queue/t/{ticket.token}/").status_code == 200


def test_the_administrator_registers_a_kiosk_that_takes_numbers_then_stops_it(tree, line, admin):
    hall_open_now(tree.district)
    hall = tree.subdistrict_a
    staff = client_for(admin)
    assert f"/queue/staff/halls/{hall.pk}/kiosks/" in staff.get("/queue/staff/lines/").content.decode()
    page = staff.get(f"/queue/staff/halls/{hall.pk}/kiosks/").content.decode()
    assert "取号机：甲街道" in page and "尚未登记取号机" in page
    shown = staff.post(f"/queue/staff/halls/{hall.pk}/kiosks/", {"name": "一楼入口"})
    body = shown.content.decode()
    assert shown["Cache-Control"] == "no-store" and "<svg" in body and "10 分钟内有效，只能使用一次" in body
    link = LINK.search(body).group(1)

    device = Client(enforce_csrf_checks=True)
    confirm = device.get(link).content.decode()
    assert "甲街道 · 一楼入口" in confirm and "确认登记" in confirm
    registered = device.post(link, {"csrfmiddlewaretoken": device.cookies["csrftoken"].value})
    assert registered.status_code == 302 and registered["Location"] == kiosk_url(hall)
    cookie = device.cookies[KIOSK_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["path"] == kiosk_url(hall)
    record = KioskDevice.objects.get()
    assert record.device_hash and cookie.value not in record.device_hash  # only its hash is kept
    # The link is used up: another browser opening it is refused.
    assert Client().get(link).status_code == 410

    kiosk = device.get(kiosk_url(hall)).content.decode()
    assert "甲街道 取号" in kiosk and "社会救助" in kiosk
    taken = device.post(
        kiosk_url(hall), {"line": line.pk, "csrfmiddlewaretoken": device.cookies["csrftoken"].value}
    )
    assert taken.status_code == 302 and Ticket.objects.get().code == "A001"

    listed = staff.get(f"/queue/staff/halls/{hall.pk}/kiosks/").content.decode()
    devices = listed.split('data-testid="kiosk-devices"')[1].split("</table>")[0]
    assert "一楼入口" in devices and "停用" in devices and admin.full_name in devices
    stopped = staff.post(f"/queue/staff/halls/{hall.pk}/kiosks/{record.pk}/stop/", follow=True)
    assert "取号机“一楼入口”已停用，不能再取号。" in stopped.content.decode()
    assert device.get(kiosk_url(hall)).status_code == 403
    assert "尚未登记取号机" in staff.get(f"/queue/staff/halls/{hall.pk}/kiosks/").content.decode()
    audited = AuditEvent.objects.filter(event_name__startswith="queueing.kiosk.")
    assert list(audited.order_by("id").values_list("event_code", "actor")) == [
        (5310, admin.pk),
        (5311, admin.pk),
        (5312, admin.pk),
    ]


def test_a_kiosk_opens_its_own_hall_only(tree, line):
    hall_open_now(tree.district)
    other = make_line(tree.subdistrict_b, "A", make_window(tree.subdistrict_b))
    kiosk = paired_kiosk(tree.subdistrict_a)
    assert kiosk.get(kiosk_url(tree.subdistrict_a)).status_code == 200
    assert kiosk.get(kiosk_url(tree.subdistrict_b)).status_code == 403
    assert kiosk.post(kiosk_url(tree.subdistrict_b), {"line": other.pk}).status_code == 403
    assert not Ticket.objects.exists()


def test_only_the_halls_queue_administrator_registers_and_stops(tree, line, admin):
    hall = tree.subdistrict_a
    url = f"/queue/staff/halls/{hall.pk}/kiosks/"
    viewer = make_user(hall, "queueing.view_queueline")
    assert client_for(viewer).get(url).status_code == 403
    assert client_for(viewer).post(url).status_code == 403
    outsider = client_for(make_user(tree.subdistrict_b, *LINE_ADMIN))
    assert outsider.get(url).status_code == 404 and outsider.post(url).status_code == 404
    kiosk = paired_kiosk(hall)
    device = KioskDevice.objects.get()
    assert outsider.post(f"{url}{device.pk}/stop/").status_code == 404
    assert kiosk.get(kiosk_url(hall)).status_code == 200
    assert not KioskDevice.objects.filter(org=hall, paired_at__isnull=True).exists()  # no link made


def test_an_expired_or_unknown_link_registers_nothing(tree, line, admin):
    token = services.kiosk_link_start(actor=admin, hall=tree.subdistrict_a)
    KioskDevice.objects.update(link_expires_at=timezone.now() - dt.timedelta(seconds=1))
    expired = Client().post(f"/queue/kiosk/pair/{token}/")
    assert expired.status_code == 410 and "已过期" in expired.content.decode()
    unknown = Client().get("/queue/kiosk/pair/nothing-like-it/")
    assert unknown.status_code == 404 and "登记链接无效" in unknown.content.decode()
    assert KIOSK_COOKIE not in expired.cookies and not KioskDevice.objects.filter(paired_at__isnull=False)
