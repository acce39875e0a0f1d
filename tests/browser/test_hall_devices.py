"""The hall's shared devices in the real browser: the 取号机 (kiosk) does not give the next visitor the previous
one's ticket through Back."""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

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
