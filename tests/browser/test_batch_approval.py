"""批量审批 and 常用意见 in the browser, as the demo department head: a phrase goes into the opinion with the
keyboard, a ticked row survives the inbox's 30-second refresh, and the pages pass axe."""

import pytest
from playwright.sync_api import expect

from jiedao.workflow.models import TaskHistory
from tests.browser.test_staff_accessibility import audit, audit_all
from tests.browser.test_staff_accessibility import staff_page as staff_page  # a fixture
from tests.browser.test_staff_accessibility_workflow import sub_district as sub_district  # a fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_phrase_and_a_tick_make_a_batch_approval(staff_page, sub_district):
    page = staff_page(sub_district["users"]["approver"])
    problems: list[str] = []
    audit_all(page, ["/workflow/opinions/"], problems)
    page.goto("/workflow/inbox/")
    audit(page, "inbox with 批量审批", problems)
    assert not problems, problems

    picker = page.locator("#batch-opinion-phrase")
    picker.focus()
    page.keyboard.press("ArrowDown")  # the first phrase, chosen with the keyboard
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="填入意见")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#batch-opinion")).to_have_value("同意。")
    expect(page.locator("#batch-opinion")).to_be_focused()

    pick = page.get_by_label(f"选择「{sub_district['leave'].title}」（部门负责人审批）批量审批")
    pick.check()
    page.locator("h1").click()  # the keyboard leaves the list: only the tick holds the refresh now
    page.evaluate("document.querySelector('#batch-opinion').value = ''")
    page.wait_for_timeout(31_000)
    expect(pick).to_be_checked()

    page.locator("#batch-opinion").fill("同意，请按时返岗。")
    page.get_by_role("button", name="批量办理所选待办").click()
    expect(page.get_by_test_id("batch-summary")).to_have_text("已办理 1 件，未办理 0 件。")
    record = TaskHistory.objects.get(task=sub_district["leave_task"], action="complete")
    assert record.opinion == "同意，请按时返岗。"
