"""数据质量核查 in the real browser: the demo community worker of 柳浪社区 (`shequ`) opens it from the menu, reads
the counts, follows a check with problems to its list, narrows it by community in place (htmx) and reaches the
record to fix. Both pages pass axe."""

from datetime import date

import pytest
from playwright.sync_api import expect

from jiedao.registry.tests.factories import new_id_number, person
from tests.browser.test_staff_accessibility import audit
from tests.browser.test_staff_accessibility import district as district  # fixtures
from tests.browser.test_staff_accessibility import staff_page as staff_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shequ(district):
    worker = district["users"]["shequ"]
    # an elderly resident registered without any phone, as paper cards often left them
    person(worker, worker.org, name="钱阿婆", id_number=new_id_number(date(1948, 3, 8), female=True))
    return worker


def test_a_community_worker_follows_a_check_to_the_record_to_fix(staff_page, shequ):
    page = staff_page(shequ)
    page.goto("/workbench/")
    page.get_by_role("link", name="数据质量核查").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("数据质量核查")
    problems: list[str] = []
    audit(page, "数据质量核查", problems)

    row = page.locator("tr[data-check='elderly-without-phone']")
    count = int(row.get_by_test_id("count").inner_text())
    assert count >= 1
    row.get_by_role("link", name="老人未登记联系电话").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("老人未登记联系电话")
    expect(page.get_by_test_id("total")).to_have_text(f"共 {count} 条")
    expect(page.get_by_test_id("results-table")).to_contain_text("未登记任何联系电话")
    audit(page, "老人未登记联系电话", problems)
    assert not problems, problems

    page.evaluate("window.loadedOnce = true")  # survives only if the page is not reloaded
    community = page.get_by_label("社区/网格")
    community.select_option(index=1)
    page.wait_for_url("**org=*")
    assert page.evaluate("window.loadedOnce") is True

    page.get_by_test_id("results-table").get_by_role("link", name="钱阿婆").click()
    page.wait_for_url("**/registry/persons/*/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("钱阿婆")
