"""入户走访核查 in the real browser: the demo community worker of 柳浪社区 (`shequ`) opens 待核查房屋 from the
menu, follows the first house due, records the visit with the keyboard alone and reads it on the house page as
最近核查; the house is no longer due. The list and the house page with its visit form pass axe."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from jiedao.registry.models import HouseVisit
from tests.browser.test_staff_accessibility import audit
from tests.browser.test_staff_accessibility import district as district  # fixtures
from tests.browser.test_staff_accessibility import staff_page as staff_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shequ(district):
    return district["users"]["shequ"]


def test_a_community_worker_records_a_visit_from_the_work_list_with_the_keyboard(staff_page, shequ):
    page = staff_page(shequ)
    page.goto("/workbench/")
    page.get_by_role("link", name="待核查房屋").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("待核查房屋")
    expect(page.get_by_test_id("import")).to_have_count(0)  # a work list: houses are imported elsewhere
    problems: list[str] = []
    audit(page, "待核查房屋", problems)

    first = page.get_by_test_id("results-table").get_by_role("link").first
    address = first.inner_text()
    first.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/registry/houses/*/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(address)
    audit(page, "house page with the visit form", problems)
    assert not problems, problems

    form = page.locator("form[action$='/visits/new/']")
    if not form.is_visible():  # the form is folded away on a house visited before
        page.get_by_text("登记入户核查", exact=True).focus()
        page.keyboard.press("Enter")
    date = page.get_by_label("核查日期")
    expect(date).to_have_value(f"{timezone.localdate():%Y-%m-%d}")  # today, as a visit is mostly entered
    date.focus()
    confirmed = page.get_by_role("radio", name="信息属实")
    for _segment in range(5):  # Chromium tabs through the parts of a date input (year, month, day) first
        page.keyboard.press("Tab")
        if confirmed.evaluate("el => el === document.activeElement"):
            break
    expect(confirmed).to_be_focused()
    page.keyboard.press("Space")
    expect(confirmed).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.get_by_label("同行人员")).to_be_focused()
    page.keyboard.type("楼道长王阿姨")
    page.keyboard.press("Tab")
    expect(page.get_by_label("备注")).to_be_focused()
    page.keyboard.type("住户信息与登记一致")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="保存核查记录")).to_be_focused()
    page.keyboard.press("Enter")

    page.wait_for_load_state()
    expect(page.get_by_text("核查记录已保存。")).to_be_visible()
    today = timezone.localdate()
    expect(page.get_by_test_id("last-visit")).to_have_text(
        f"最近核查：{today.year}年{today.month}月{today.day}日（信息属实）"
    )
    expect(page.get_by_test_id("visits").get_by_role("row").nth(1)).to_contain_text("住户信息与登记一致")
    visit = HouseVisit.objects.order_by("-pk").first()
    assert visit.visited_by == shequ and visit.companion == "楼道长王阿姨"

    page.goto("/registry/houses/due-for-visit/?q=" + address)
    expect(page.get_by_test_id("results-table")).to_contain_text("没有待核查的房屋。")
