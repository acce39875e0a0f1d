"""The workflow's staff pages on a 390 × 844 phone, as the demo department head (`approver`): the page never
scrolls sideways, the 常用意见 picker keeps a usable width (on the task page and in the inbox's 批量审批), the
inbox's rows are cards whose time limit and status (已超期) are in view, an instance's diagram is drawn at a
legible scale in a box as tall as the drawing, scrolling sideways in its own box."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from jiedao.core import demo
from jiedao.timelimits.choices import ClockStatus
from jiedao.timelimits.models import Clock
from jiedao.workflow import demo as workflow_demo
from jiedao.workflow.models import ProcessInstance

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = (390, 844)
OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.fixture
def requests_waiting():
    """The demo accounts and processes, the leave request waiting for the department head."""
    users = {user.username: user for user, _role in demo.load()}
    workflow_demo.load_permissions()
    workflow_demo.load_processes()
    workflow_demo.load_requests()
    leave = ProcessInstance.objects.get(definition__key="leave")
    return {"users": users, "leave": leave, "leave_task": leave.tasks.get(element_id="head")}


def within_screen(locator) -> dict:
    box = locator.bounding_box()
    assert box is not None, "not shown"
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE[0], f"off the screen's width: {box}"
    return box


def test_the_phrase_picker_keeps_its_width_on_a_phone(open_page, requests_waiting):
    page = open_page(*PHONE, user=requests_waiting["users"]["approver"])
    page.goto(f"/workflow/tasks/{requests_waiting['leave_task'].pk}/")
    assert page.evaluate(OVERFLOW) <= 0
    assert within_screen(page.locator("#opinion-phrase"))["width"] >= 200
    within_screen(page.get_by_role("button", name="填入意见"))
    within_screen(page.get_by_role("link", name="管理常用意见"))

    page.goto("/workflow/inbox/")
    assert page.evaluate(OVERFLOW) <= 0
    assert within_screen(page.locator("#batch-opinion-phrase"))["width"] >= 200
    within_screen(page.get_by_test_id("batch-form").get_by_role("button", name="填入意见"))


def test_an_overdue_step_shows_its_time_limit_and_status_in_the_inbox_on_a_phone(open_page, requests_waiting):
    task = requests_waiting["leave_task"]
    past = timezone.now() - dt.timedelta(days=2)
    Clock.objects.filter(pk=task.clock_id).update(status=ClockStatus.RED, due_at=past)
    type(task).objects.filter(pk=task.pk).update(due_at=past)
    page = open_page(*PHONE, user=requests_waiting["users"]["approver"])
    page.goto("/workflow/inbox/")
    assert page.evaluate(OVERFLOW) <= 0
    row = page.get_by_test_id("inbox-table").locator("tr", has_text=requests_waiting["leave"].title)
    within_screen(row.get_by_role("link", name=requests_waiting["leave"].title))
    within_screen(row.get_by_text("部门负责人审批"))
    within_screen(row.get_by_test_id("inbox-due").get_by_text(timezone.localtime(past).strftime("%Y-%m-%d")))
    within_screen(row.get_by_test_id("due-red"))
    assert row.get_by_test_id("due-red").inner_text() == "已超期"
    within_screen(row.get_by_test_id("inbox-row-status"))


def test_the_instance_diagram_is_legible_on_a_phone(open_page, requests_waiting):
    page = open_page(*PHONE, user=requests_waiting["users"]["approver"])
    page.goto(f"/workflow/instances/{requests_waiting['leave'].pk}/")
    diagram = page.get_by_role("region", name="流程图", exact=True)
    step = diagram.locator('.djs-element[data-element-id="head"]')  # 部门负责人审批, 100 units wide
    expect(step).to_be_visible()
    assert page.evaluate(OVERFLOW) <= 0
    frame = within_screen(diagram)
    assert within_screen(step)["width"] >= 70  # it was 25 px: the whole process squeezed into 358 px
    # no tall blank canvas under the drawing: the box is about as tall as the drawing
    drawn = diagram.evaluate(
        "el => el.querySelector('.djs-container svg .viewport').getBoundingClientRect().height"
    )
    assert frame["height"] - drawn <= 60, (frame, drawn)
    # the rest of the process is reached by scrolling the box sideways, not the page
    assert diagram.evaluate("el => el.scrollWidth > el.clientWidth")
    diagram.evaluate("el => { el.scrollLeft = el.scrollWidth; }")
    within_screen(diagram.locator('.djs-element[data-element-id="end"]'))
    assert page.evaluate(OVERFLOW) <= 0
