"""The ticket's QR code at the kiosk in 长者模式: black modules on the elder mode's black page would be invisible,
so the visitor could not scan the ticket onto their phone."""

import pytest
from playwright.sync_api import expect

from jiedao.queueing import services
from jiedao.queueing.tests.factories import hall_open_now, make_line, make_window

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_ticket_qr_code_is_drawn_on_white_in_the_elder_mode(open_page, tree):
    hall = tree.subdistrict_a
    hall_open_now(tree.district)
    ticket = services.ticket_take(
        line=make_line(hall, "A", make_window(hall), name="社会救助"), ip="10.0.0.1"
    )
    page = open_page(1080, 1920)
    page.goto(f"/queue/t/{ticket.token}/")
    page.get_by_role("button", name="长者模式（大字体）").click()
    expect(page.locator("body")).to_have_class("public elder")
    qr = page.get_by_test_id("ticket-qr").locator("svg")
    expect(qr).to_be_visible()
    assert qr.evaluate("svg => getComputedStyle(svg).backgroundColor") == "rgb(255, 255, 255)"
