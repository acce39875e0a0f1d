"""排队叫号 in the real browser: the hall's administrator registers the kiosk (an unregistered browser is told
it is not one), a visitor takes a number there, the window calls it, the ticket page (refreshed by htmx) sends
the visitor to the window, the display shows the call; every page passes axe."""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from jiedao.core.testing import make_user
from jiedao.queueing.models import Ticket
from jiedao.queueing.tests.factories import LINE_ADMIN, hall_open_now, make_caller, make_line, make_window
from tests.browser.test_staff_accessibility import audit
from tests.browser.test_staff_accessibility import staff_page as staff_page  # a fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_take_a_number_call_it_and_see_it_on_the_display(staff_page, tree):
    hall = tree.subdistrict_a
    hall_open_now(tree.district)
    window = make_window(hall, number="3号窗口")
    caller = make_caller(hall, window, "applications.add_application")
    make_line(hall, "A", window, name="社会救助")
    make_line(hall, "B", window, name="户籍证明")
    problems: list[str] = []

    visitor = staff_page()
    visitor.goto(f"/queue/hall/{hall.division_code}/")
    expect(visitor.get_by_role("heading", name="本终端未登记为取号机")).to_be_visible()
    expect(visitor.get_by_role("button", name=re.compile("社会救助"))).to_have_count(0)
    audit(visitor, "unregistered kiosk", problems)
    admin = staff_page(make_user(hall, *LINE_ADMIN))
    admin.goto("/queue/staff/lines/")
    admin.get_by_role("link", name="取号机").click()
    admin.get_by_label("取号机名称（选填）").fill("一楼入口")
    admin.get_by_role("button", name="登记取号机").click()
    link = admin.get_by_test_id("kiosk-pairing-link")
    expect(link).to_be_visible()
    audit(admin, "kiosk registration link", problems)
    visitor.goto(urlsplit(link.get_attribute("href")).path)
    expect(visitor.get_by_test_id("kiosk-pair-hall")).to_have_text("甲街道 · 一楼入口")
    audit(visitor, "kiosk registration", problems)
    visitor.get_by_role("button", name="确认登记").click()
    expect(visitor.get_by_role("heading", name="甲街道 取号")).to_be_visible()
    visitor.get_by_role("button", name="长者模式（大字体）").click()
    expect(visitor.locator("body")).to_have_class("public elder")
    audit(visitor, "kiosk in the elder mode", problems)
    visitor.get_by_role("button", name="退出长者模式").click()
    expect(visitor.get_by_role("heading", name="甲街道 取号")).to_be_visible()
    audit(visitor, "kiosk", problems)
    visitor.get_by_label("手机号码（选填）").fill("12345")
    visitor.get_by_role("button", name=re.compile("社会救助")).click()
    expect(visitor.get_by_text("请填写正确的 11 位手机号码")).to_be_visible()
    audit(visitor, "kiosk with an error", problems)
    visitor.get_by_label("手机号码（选填）").fill("13900002468")
    visitor.get_by_role("button", name=re.compile("社会救助")).click()
    expect(visitor.get_by_test_id("ticket-code")).to_have_text("A001")
    expect(visitor.get_by_test_id("taken")).to_contain_text("取号成功")
    expect(visitor.get_by_role("button", name="取消排队")).to_have_count(0)  # the kiosk is shared
    expect(visitor.locator("main")).not_to_contain_text("13900002468")
    audit(visitor, "ticket at the kiosk", problems)
    ticket = Ticket.objects.get()
    assert ticket.phone_masked == "139****2468"
    # The QR code opens the ticket on the visitor's own phone: there, 取消排队.
    visitor.goto(f"/queue/t/{ticket.token}/")
    expect(visitor.get_by_role("status")).to_contain_text("下一位就是您")
    expect(visitor.get_by_role("button", name="取消排队")).to_be_visible()
    audit(visitor, "ticket", problems)

    window_page = staff_page(caller)
    window_page.goto("/queue/staff/window/")
    expect(window_page.get_by_role("heading", name="窗口叫号：3号窗口 综合受理")).to_be_visible()
    audit(window_page, "window", problems)
    window_page.get_by_role("button", name="叫下一位").click()
    expect(window_page.get_by_role("alert")).to_contain_text("已叫号 A001（社会救助）。")
    expect(window_page.get_by_test_id("current")).to_contain_text("A001")
    expect(window_page.get_by_role("link", name="窗口收件 A001")).to_be_visible()
    audit(window_page, "window calling", problems)

    # The ticket page asks again every 10 s: the visitor is sent to the window without reloading.
    expect(visitor.get_by_role("status")).to_contain_text("请到 3号窗口 办理", timeout=15000)

    screen = staff_page()
    screen.goto(f"/queue/hall/{hall.division_code}/screen/")
    row = screen.get_by_test_id("called").get_by_role("row").nth(1)
    expect(row).to_contain_text("A001")
    expect(row).to_contain_text("3号窗口")
    expect(screen.locator("body")).not_to_contain_text("2468")
    audit(screen, "display", problems)

    window_page.get_by_role("button", name="过号").click()
    expect(window_page.get_by_test_id("skipped")).to_contain_text("A001")
    audit(window_page, "window with a skipped ticket", problems)

    admin.goto(f"/queue/staff/halls/{hall.pk}/kiosks/")
    expect(admin.get_by_test_id("kiosk-devices")).to_contain_text("一楼入口")
    audit(admin, "kiosks", problems)
    for url in ("/queue/staff/lines/", "/queue/staff/lines/new/"):
        admin.goto(url)
        audit(admin, url, problems)
    assert not problems, f"{len(problems)} accessibility problems:\n" + "\n".join(problems)
