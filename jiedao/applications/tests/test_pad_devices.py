"""评价器 as a paired device, not a staff login (issue #5): the window's administrator shows a single-use
pairing link (QR code, ten minutes); the device that opens and confirms it gets its own long-lived cookie,
which opens that window's pad and nothing else; the administrator sees the paired devices and revokes them;
pairing and revoking are audited."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from jiedao.applications import services
from jiedao.applications.models import PadDevice, Rating, ServiceWindow
from jiedao.applications.tests.factories import CLERK_PERMISSIONS, make_item, paired_pad, walk_in
from jiedao.applications.views import PAD_COOKIE
from jiedao.audit.models import AuditEvent
from jiedao.core.testing import client_for, make_user

pytestmark = pytest.mark.django_db

PAIRING_LINK = re.compile(r'data-testid="pad-pairing-link">http://127\.0\.0\.1:8000(/hall/pad/pair/[^/]+/)<')


@pytest.fixture
def admin(tree):
    return make_user(
        tree.community_a1, "applications.view_servicewindow", "applications.change_servicewindow"
    )


@pytest.fixture
def clerk(tree):
    return make_user(tree.community_a1, *CLERK_PERMISSIONS)


@pytest.fixture
def windows(tree, clerk):
    one = ServiceWindow.objects.create(org=tree.community_a1, number="1号窗口", name="综合受理")
    two = ServiceWindow.objects.create(org=tree.community_a1, number="2号窗口", name="社会救助")
    one.staff.add(clerk)
    return one, two


def concluded_at_window(clerk, tree, name: str):
    application = walk_in(clerk, make_item(tree.community_a1, name=name))
    services.application_accept(actor=clerk, application=application)
    services.application_conclude(actor=clerk, application=application, outcome="approved", text="准予")
    application.refresh_from_db()
    return application


def pairing_link(admin, window) -> str:
    page = client_for(admin).post(f"/hall/staff/windows/{window.pk}/pads/").content.decode()
    return PAIRING_LINK.search(page).group(1)


def csrf_post(client: Client, url: str, data=None):
    client.get(url)
    return client.post(url, {**(data or {}), "csrfmiddlewaretoken": client.cookies["csrftoken"].value})


def test_pairing_end_to_end(admin, clerk, tree, windows):
    one, _two = windows
    staff = client_for(admin)
    page = staff.get(f"/hall/staff/windows/{one.pk}/pads/").content.decode()
    assert "配对评价器" in page and "尚未配对评价器" in page

    shown = staff.post(f"/hall/staff/windows/{one.pk}/pads/")
    body = shown.content.decode()
    pairing = body.split('data-testid="pad-pairing"')[1].split("</section>")[0]
    assert "<svg" in pairing and "10 分钟内有效，只能使用一次" in pairing
    assert shown["Cache-Control"] == "no-store"
    link = PAIRING_LINK.search(body).group(1)

    device = Client(enforce_csrf_checks=True)
    confirm = device.get(link).content.decode()
    assert "1号窗口 综合受理" in confirm and "确认配对" in confirm
    paired = device.post(link, {"csrfmiddlewaretoken": device.cookies["csrftoken"].value})
    assert paired.status_code == 302 and paired["Location"] == f"/hall/pad/{one.pk}/"
    cookie = device.cookies[PAD_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["max-age"] == 365 * 24 * 3600
    assert not cookie["secure"]  # the test settings are not production: plain http in development
    record = PadDevice.objects.get()
    assert record.device_hash != cookie.value and cookie.value not in record.device_hash  # hashed

    application = concluded_at_window(clerk, tree, "低保申请")
    pad = device.get(f"/hall/pad/{one.pk}/").content.decode()
    assert "低保申请" in pad and "非常满意" in pad
    token = services.rating_link_for_window(application)
    thanked = device.post(
        f"/hall/pad/{one.pk}/",
        {"token": token, "level": 5, "csrfmiddlewaretoken": device.cookies["csrftoken"].value},
    )
    assert "感谢您的评价" in thanked.content.decode()
    assert (Rating.objects.get().channel, Rating.objects.get().level) == ("pad", 5)

    listed = staff.get(f"/hall/staff/windows/{one.pk}/pads/").content.decode()
    devices = listed.split('data-testid="pad-devices"')[1].split("</table>")[0]
    assert timezone.localtime(record.paired_at).strftime("%Y-%m-%d %H:%M") in devices
    assert "解除配对" in devices and admin.full_name in devices
    audited = AuditEvent.objects.filter(target_id=str(one.pk)).values_list("event_code", "actor")
    assert set(audited) >= {(5173, admin.pk), (5174, admin.pk)}


def test_the_rating_post_still_needs_the_csrf_token(admin, clerk, tree, windows):
    one, _two = windows
    device = paired_pad(admin, one, enforce_csrf_checks=True)
    application = concluded_at_window(clerk, tree, "低保申请")
    refused = device.post(
        f"/hall/pad/{one.pk}/", {"token": services.rating_link_for_window(application), "level": 1}
    )
    assert refused.status_code == 403 and not Rating.objects.exists()


def test_a_device_of_window_a_cannot_rate_at_window_b_nor_open_a_staff_page(admin, clerk, tree, windows):
    one, two = windows
    other = make_user(tree.community_a1, *CLERK_PERMISSIONS)
    two.staff.add(other)
    at_two = concluded_at_window(other, tree, "残疾人补贴")
    token = services.rating_link_for_window(at_two)
    device = paired_pad(admin, one)

    page = device.get(f"/hall/pad/{two.pk}/")
    assert page.status_code == 403 and "评价器未配对" in page.content.decode()
    assert "残疾人补贴" not in page.content.decode()
    assert device.post(f"/hall/pad/{two.pk}/", {"token": token, "level": 1}).status_code == 403
    # Nor from its own window's page with the other window's application.
    refused = device.post(f"/hall/pad/{one.pk}/", {"token": token, "level": 1}).content.decode()
    assert "评价链接无效" in refused and not Rating.objects.exists()

    for staff_page in (f"/hall/staff/windows/{one.pk}/pads/", "/hall/staff/applications/", "/workbench/"):
        response = device.get(staff_page)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], staff_page
    assert device.post(f"/hall/staff/windows/{one.pk}/pads/").status_code == 302
    assert PadDevice.objects.count() == 1  # it made no pairing link


def test_a_staff_login_alone_is_not_a_pad(clerk, windows):
    one, _two = windows
    response = client_for(clerk).get(f"/hall/pad/{one.pk}/")
    assert response.status_code == 403 and "请联系窗口管理员" in response.content.decode()


def test_a_used_pairing_link_is_refused_in_chinese(admin, windows):
    one, _two = windows
    link = pairing_link(admin, one)
    csrf_post(Client(enforce_csrf_checks=True), link)

    second = Client(enforce_csrf_checks=True)
    opened = second.get(link)
    assert opened.status_code == 410 and "该配对链接已使用" in opened.content.decode()
    assert "确认配对" not in opened.content.decode()
    again = csrf_post(second, link)
    assert again.status_code == 410 and PAD_COOKIE not in second.cookies
    assert PadDevice.objects.filter(paired_at__isnull=False).count() == 1


def test_an_expired_or_unknown_pairing_link_is_refused_in_chinese(admin, windows):
    one, _two = windows
    link = pairing_link(admin, one)
    PadDevice.objects.update(link_expires_at=timezone.now() - dt.timedelta(seconds=1))
    device = Client(enforce_csrf_checks=True)
    opened = device.get(link)
    assert opened.status_code == 410 and "该配对链接已过期（10 分钟内有效）" in opened.content.decode()
    assert csrf_post(device, link).status_code == 410 and PAD_COOKIE not in device.cookies
    assert not PadDevice.objects.filter(paired_at__isnull=False).exists()

    unknown = Client().get("/hall/pad/pair/made-up-token/")
    assert unknown.status_code == 404 and "配对链接无效" in unknown.content.decode()


def test_revoking_stops_the_device_at_once(admin, clerk, tree, windows):
    one, _two = windows
    device = paired_pad(admin, one)
    concluded_at_window(clerk, tree, "低保申请")
    assert device.get(f"/hall/pad/{one.pk}/").status_code == 200
    record = PadDevice.objects.get()

    staff = client_for(admin)
    done = staff.post(f"/hall/staff/windows/{one.pk}/pads/{record.pk}/revoke/", follow=True)
    body = done.content.decode()
    assert "已解除配对" in body and "尚未配对评价器" in body
    event = AuditEvent.objects.get(event_code=5175)
    assert (event.actor_id, event.target_id, event.before["pad"]) == (admin.pk, str(one.pk), record.pk)

    page = device.get(f"/hall/pad/{one.pk}/")
    assert page.status_code == 403 and "评价器未配对" in page.content.decode()
    assert "低保申请" not in page.content.decode()
    polled = device.get(f"/hall/pad/{one.pk}/?part=1", HTTP_HX_REQUEST="true")
    assert polled.status_code == 403 and polled["HX-Refresh"] == "true"  # the polling pad reloads

    twice = staff.post(f"/hall/staff/windows/{one.pk}/pads/{record.pk}/revoke/", follow=True)
    assert "该评价器已解除配对" in twice.content.decode()
    assert AuditEvent.objects.filter(event_code=5175).count() == 1


def test_a_device_paired_over_a_year_ago_is_no_longer_a_pad(admin, windows):
    one, _two = windows
    device = paired_pad(admin, one)
    PadDevice.objects.update(paired_at=timezone.now() - dt.timedelta(days=366))
    assert "评价器未配对" in device.get(f"/hall/pad/{one.pk}/").content.decode()
    listed = client_for(admin).get(f"/hall/staff/windows/{one.pk}/pads/").content.decode()
    assert "尚未配对评价器" in listed


def test_only_who_may_change_the_window_pairs_or_revokes(admin, tree, windows):
    one, _two = windows
    device = paired_pad(admin, one)
    record = PadDevice.objects.get()
    viewer = client_for(make_user(tree.community_a1, "applications.view_servicewindow"))
    assert viewer.post(f"/hall/staff/windows/{one.pk}/pads/").status_code == 403
    assert viewer.post(f"/hall/staff/windows/{one.pk}/pads/{record.pk}/revoke/").status_code == 403
    elsewhere = client_for(make_user(tree.community_a2, "applications.change_servicewindow"))
    assert elsewhere.post(f"/hall/staff/windows/{one.pk}/pads/").status_code == 404
    assert elsewhere.post(f"/hall/staff/windows/{one.pk}/pads/{record.pk}/revoke/").status_code == 404
    assert PadDevice.objects.count() == 1 and device.get(f"/hall/pad/{one.pk}/").status_code == 200


def test_a_stopped_window_cannot_be_paired(admin, windows):
    one, _two = windows
    one.is_active = False
    one.save()
    staff = client_for(admin)
    assert "配对评价器</button>" not in staff.get(f"/hall/staff/windows/{one.pk}/pads/").content.decode()
    refused = staff.post(f"/hall/staff/windows/{one.pk}/pads/", follow=True).content.decode()
    assert "该窗口已停用，不能配对评价器" in refused and not PadDevice.objects.exists()


def test_the_pairing_page_keeps_its_token_out_of_referrers_but_not_its_origin(admin, windows):
    """With "no-referrer" Chromium would send the confirmation with `Origin: null`, which the CSRF check
    refuses (tests/browser/test_hall_devices.py pairs a pad in the browser)."""
    one, _two = windows
    page = Client().get(pairing_link(admin, one))
    assert page.status_code == 200 and page["Referrer-Policy"] == "strict-origin"


def test_the_pad_offers_only_the_case_just_concluded_for_the_visitor_at_the_counter(
    admin, clerk, tree, windows
):
    """The 评价器 offers the case the window's clerk has just concluded; five days later, after ten minutes,
    once rated, or once the window has called the next visitor, it shows its welcome, not someone else's case."""
    from jiedao.queueing import services as queueing
    from jiedao.queueing.tests.factories import hall_open_now, make_caller, make_line

    one, _two = windows
    device = paired_pad(admin, one)

    def shown() -> str:
        page = device.get(f"/hall/pad/{one.pk}/").content.decode()
        return (
            "欢迎您"
            if 'data-testid="pad-idle"' in page
            else page.split('data-testid="pad-item">')[1].split("<")[0]
        )

    old = concluded_at_window(clerk, tree, "居住证明开具")
    services.Application.objects.filter(pk=old.pk).update(concluded_at=timezone.now() - dt.timedelta(days=5))
    assert shown() == "欢迎您"

    just = concluded_at_window(clerk, tree, "低保申请")
    assert shown() == "低保申请"
    services.Application.objects.filter(pk=just.pk).update(
        concluded_at=timezone.now() - dt.timedelta(minutes=11)
    )
    assert shown() == "欢迎您"

    services.Application.objects.filter(pk=just.pk).update(concluded_at=timezone.now())
    services.rating_by_link(token=services.rating_link_for_window(just), level=5, channel="pad", window=one)
    assert shown() == "欢迎您"  # rated: not the older case instead

    concluded_at_window(clerk, tree, "残疾人补贴")
    assert shown() == "残疾人补贴"
    hall_open_now(tree.district)
    line = make_line(tree.community_a1, "A", one)
    queueing.ticket_take(line=line)
    queueing.ticket_call_next(actor=make_caller(tree.community_a1, one), window=one)
    assert shown() == "欢迎您"  # the next visitor is at the counter
