"""Sizes a page sets must come from the stylesheet: the CSP (style-src 'self') drops every inline style
attribute, so a `style="max-width: …"` in a template silently does nothing in the browser."""

import pytest

from jiedao.applications.models import ServiceWindow
from jiedao.core.testing import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_pad_pairing_qr_code_fits_the_box_on_a_wide_screen(open_page, tree):
    admin = make_user(
        tree.community_a1, "applications.view_servicewindow", "applications.change_servicewindow"
    )
    window = ServiceWindow.objects.create(org=tree.community_a1, number="1号窗口", name="综合受理")
    page = open_page(1280, 900, user=admin)
    page.goto(f"/hall/staff/windows/{window.pk}/pads/")
    page.get_by_role("button", name="配对评价器").click()
    qr = page.locator("svg").first
    qr.wait_for()
    # 14rem: one phone-camera glance, not a code as wide as the whole page.
    assert qr.bounding_box()["width"] <= 14 * 16
    assert not [p for p in page.problems if "Content Security Policy" in p]


def test_holiday_entry_keeps_its_name_and_workday_columns_readable_on_a_phone(open_page, tree):
    admin = make_user(tree.district, "workcalendar.change_calendarday", "workcalendar.view_calendarday")
    page = open_page(390, 844, user=admin)
    page.goto("/calendar/years/2027/notice/")
    cells = page.locator("[data-testid=notice-rows] tbody tr").first.locator("td")
    assert cells.nth(0).bounding_box()["width"] >= 8 * 16 - 1
    assert cells.nth(3).bounding_box()["width"] >= 16 * 16 - 1
