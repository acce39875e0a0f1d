"""Pages opened from a secret address (the SMS rating link, a 评价器's pairing link) post their own form in a
real browser. With `Referrer-Policy: no-referrer` Chromium sends such a post with `Origin: null` and Django's
CSRF check refused it: residents could not rate by the link, and no pad could be paired."""

import re

import pytest

from jiedao.applications import services
from jiedao.applications.models import PadDevice, Rating, ServiceWindow
from jiedao.applications.tests.factories import CLERK_PERMISSIONS, make_item, walk_in
from jiedao.core.testing import make_user
from jiedao.sms.models import OutboundMessage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_resident_rates_by_the_sms_link_in_a_browser(tree, open_page):
    clerk = make_user(tree.community_a1, *CLERK_PERMISSIONS)
    application = walk_in(clerk, make_item(tree.community_a1, name="居住证明开具"), phone="13800138000")
    services.application_accept(actor=clerk, application=application)
    services.application_conclude(actor=clerk, application=application, outcome="approved", text="准予")
    link = re.search(r"/r/[A-Za-z0-9_-]+", OutboundMessage.objects.get(purpose="applications.concluded").body)

    page = open_page(390, 844)
    page.goto(link.group(0))
    page.get_by_text("非常满意", exact=True).click()
    page.get_by_role("button", name="提交评价").click()
    page.get_by_test_id("rating-done").wait_for()
    assert "请求已失效" not in page.content()
    rating = Rating.objects.get(application=application)
    assert (rating.level, rating.channel) == (5, "sms")


def test_a_pad_is_paired_in_a_browser(tree, open_page):
    admin = make_user(
        tree.community_a1, "applications.view_servicewindow", "applications.change_servicewindow"
    )
    window = ServiceWindow.objects.create(org=tree.community_a1, number="1号窗口", name="综合受理")
    staff = open_page(user=admin)
    staff.goto(f"/hall/staff/windows/{window.pk}/pads/")
    staff.get_by_role("button", name="配对评价器").click()
    link = re.search(r"/hall/pad/pair/[^/]+/", staff.get_by_test_id("pad-pairing-link").inner_text()).group(0)

    pad = open_page(1024, 768)
    pad.goto(link)
    pad.get_by_role("button", name="确认配对").click()
    pad.wait_for_url(f"**/hall/pad/{window.pk}/")
    assert PadDevice.objects.filter(window=window).count() == 1
