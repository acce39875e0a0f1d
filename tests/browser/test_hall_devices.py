"""The hall's shared devices in the real browser: the 取号机 (kiosk) does not give the next visitor the previous
one's ticket through Back, and a 评价器 (pad) is paired through its pages and rates; the applicant rates
through the rating link too. The pages with a token in their address keep it out of referrers without making
Chromium send their form with `Origin: null` (refused by CSRF)."""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from jiedao.applications.models import PadDevice, Rating, ServiceWindow
from jiedao.core.testing import make_user
from jiedao.queueing.models import Ticket
from jiedao.queueing.tests.factories import hall_open_now, make_line, make_window, paired_kiosk

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_next_visitor_pressing_back_at_the_kiosk_does_not_see_the_previous_ticket(
    open_page, live_server, tree, monkeypatch
):
    from jiedao.queueing import views

    monkeypatch.setattr(views, "KIOSK_RETURN_SECONDS", 2)  # the page's own return, without waiting 30 s
    hall = tree.subdistrict_a
    hall_open_now(tree.district)
    make_line(hall, "A", make_window(hall), name="社会救助")
    token = paired_kiosk(hall).cookies[views.KIOSK_COOKIE].value
    kiosk = open_page()
    kiosk.context.add_cookies([{"name": views.KIOSK_COOKIE, "value": token, "url": live_server.url}])
    take_page = f"/queue/hall/{hall.division_code}/"
    kiosk.goto(take_page)
    for code in ("A001", "A002"):
        kiosk.get_by_role("button", name=re.compile("社会救助")).click()
        expect(kiosk.get_by_test_id("ticket-code")).to_have_text(code)
        if code == "A001":
            kiosk.get_by_role("link", name="返回取号").click()
        # back to the take page: by 返回取号, then by itself
        expect(kiosk.get_by_role("heading", name="甲街道 取号")).to_be_visible(timeout=5000)
        assert urlsplit(kiosk.url).path == take_page
        kiosk.go_back()  # the next visitor
        expect(kiosk.get_by_role("heading", name="甲街道 取号")).to_be_visible()
        expect(kiosk.get_by_test_id("ticket-code")).to_have_count(0)
        kiosk.go_forward()
    assert Ticket.objects.count() == 2
    assert not kiosk.problems, kiosk.problems


def test_a_pad_is_paired_through_its_pages_and_rates(open_page, tree):
    from jiedao.applications import services
    from jiedao.applications.tests.factories import CLERK_PERMISSIONS, make_item, walk_in

    window = ServiceWindow.objects.create(org=tree.community_a1, number="1号窗口", name="综合受理")
    clerk = make_user(tree.community_a1, *CLERK_PERMISSIONS)
    window.staff.add(clerk)
    admin = make_user(
        tree.community_a1, "applications.view_servicewindow", "applications.change_servicewindow"
    )
    staff = open_page(user=admin, console=False)
    staff.goto(f"/hall/staff/windows/{window.pk}/pads/")
    staff.get_by_role("button", name="配对评价器").click()
    link = staff.get_by_test_id("pad-pairing-link")
    expect(link).to_be_visible()

    pad = open_page()
    requests: list = []
    pad.on("request", lambda request: request.method == "POST" and requests.append(request))
    pad.goto(urlsplit(link.inner_text()).path)
    expect(pad.get_by_test_id("pad-pair-window")).to_contain_text("1号窗口 综合受理")
    pad.get_by_role("button", name="确认配对").click()
    expect(pad.get_by_test_id("pad-idle")).to_be_visible()
    assert urlsplit(pad.url).path == f"/hall/pad/{window.pk}/"
    assert PadDevice.objects.get().paired_at is not None
    # The token did not leave in a Referer header (the origin only, at most).
    pairing = requests[0]
    assert "/pad/pair/" not in (pairing.headers.get("referer") or "")

    application = walk_in(clerk, make_item(tree.community_a1, name="低保申请"))
    services.application_accept(actor=clerk, application=application)
    services.application_conclude(actor=clerk, application=application, outcome="approved", text="准予")
    expect(pad.get_by_test_id("pad-item")).to_have_text("低保申请", timeout=10000)
    pad.get_by_role("button", name="非常满意").click()
    expect(pad.get_by_role("status")).to_contain_text("感谢您的评价")
    assert (Rating.objects.get().channel, Rating.objects.get().level) == ("pad", 5)
    assert not pad.problems, pad.problems


def test_the_applicant_rates_through_the_rating_link(open_page, tree):
    """The link of the conclusion SMS (or the window's QR code), opened on the applicant's phone: the
    rating is sent and taken, its token not given away in a Referer header."""
    from jiedao.applications import services
    from jiedao.applications.tests.factories import CLERK_PERMISSIONS, make_item, walk_in

    clerk = make_user(tree.community_a1, *CLERK_PERMISSIONS)
    application = walk_in(clerk, make_item(tree.community_a1, name="低保申请"))
    services.application_accept(actor=clerk, application=application)
    services.application_conclude(actor=clerk, application=application, outcome="approved", text="准予")
    phone = open_page(390, 844)
    requests: list = []
    phone.on("request", lambda request: request.method == "POST" and requests.append(request))
    phone.goto(f"/r/{services.rating_link_for_window(application)}")
    expect(phone.get_by_test_id("rating-item")).to_have_text("低保申请")
    phone.get_by_text("非常满意").click()
    phone.get_by_role("button", name="提交评价").click()
    expect(phone.get_by_test_id("rating-done")).to_be_visible()
    assert Rating.objects.get().level == 5
    assert "/r/" not in (requests[0].headers.get("referer") or "")
    assert not phone.problems, phone.problems
