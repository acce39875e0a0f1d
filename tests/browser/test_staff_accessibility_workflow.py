"""Accessibility of the staff pages of the workflow engine, time limits and the catalog (WCAG 2.1 A/AA,
GB/T 37668), with the helpers of `test_staff_accessibility.py`: axe-core on a 1280 px laptop and a 1920 px
desktop, nothing wider than the screen at 200 % and 400 % zoom, each page as the demo account that works on it.

The inbox (its four tabs, a task's form), the instances (the list, one with its diagram and history), the
process definitions and the bpmn-js designer, 时限监控, the service items and the announcements. The other tests
check what axe cannot: the diagram is read as the path taken and the current step, the inbox's tabs and pages
keep the keyboard in the list, and its 30-second refresh says only what changed."""

import pytest
from django.core.paginator import Paginator
from playwright.sync_api import expect

from jiedao.catalog import demo as catalog_demo
from jiedao.catalog.models import Announcement, ServiceItem
from jiedao.core import demo
from jiedao.timelimits.models import Clock
from jiedao.workflow import demo as workflow_demo
from jiedao.workflow import services as workflow_services
from jiedao.workflow import views as workflow_views
from jiedao.workflow.models import ProcessDefinition, ProcessInstance
from tests.browser.test_staff_accessibility import (
    AXE,
    SAME_NAME_OTHER_TARGET,
    audit,
    audit_all,
)
from tests.browser.test_staff_accessibility import staff_page as staff_page  # a fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sub_district():
    """The demo accounts, the catalog of both sub-districts, the shipped processes deployed, and the two demo
    requests: a leave request waiting for the department head (`approver`), a joint review waiting for three
    departments (`office` among them)."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci` (make setup installs the development dependencies)")
    users = {user.username: user for user, _role in demo.load()}
    catalog_demo.load()
    workflow_demo.load_permissions()
    workflow_demo.load_processes()
    workflow_demo.load_requests()
    leave = ProcessInstance.objects.get(definition__key="leave")
    return {
        "users": users,
        "leave": leave,
        "leave_task": leave.tasks.exclude(element_id="apply").get(),
        "joint": ProcessInstance.objects.get(definition__key="joint_review"),
    }


def audit_diagram(page, url: str, problems: list[str]) -> None:
    """A page with a bpmn-js diagram, once the diagram is drawn (the viewer loads after the page)."""
    page.goto(url)
    expect(page.locator(".djs-element").first).to_be_attached()
    audit(page, url, problems)


def department_head(page, sub_district, problems):
    """The inbox's four tabs (and one reached in place), a task's form, the instance with its diagram."""
    audit_all(
        page,
        [
            "/workflow/inbox/",
            "/workflow/inbox/?box=done",
            "/workflow/inbox/?box=started",
            "/workflow/inbox/?box=cc",
            f"/workflow/tasks/{sub_district['leave_task'].pk}/",
        ],
        problems,
    )
    audit_diagram(page, f"/workflow/instances/{sub_district['leave'].pk}/", problems)
    page.goto("/workflow/inbox/")
    page.get_by_test_id("tab-done").click()
    expect(page.get_by_test_id("inbox-heading")).to_have_text("我的已办")
    audit(page, "inbox after a tab in place", problems)


def office(page, sub_district, problems):
    """The instance list, the definitions, a draft in the designer, the catalog and the announcements."""
    leave_definition = ProcessDefinition.objects.get(key="leave", org=sub_district["leave"].definition.org)
    draft = workflow_services.definition_new_version(
        actor=sub_district["users"]["office"], definition=leave_definition
    )
    item = ServiceItem.objects.filter(org__name="清波街道").order_by("pk").first()
    announcement = Announcement.objects.filter(org__name="清波街道").order_by("pk").first()
    audit_all(
        page,
        [
            "/workflow/instances/",
            "/workflow/definitions/",
            "/workflow/start/",
            "/catalog/items/",
            f"/catalog/items/{item.pk}/",
            f"/catalog/items/{item.pk}/edit/",
            "/catalog/items/new/",
            "/catalog/announcements/",
            f"/catalog/announcements/{announcement.pk}/edit/",
            "/catalog/power-list/",
            "/catalog/responsibility-list/",
        ],
        problems,
    )
    audit_diagram(page, f"/workflow/instances/{sub_district['joint'].pk}/", problems)
    audit_diagram(page, f"/workflow/definitions/{leave_definition.pk}/edit/", problems)  # deployed: read only
    page.goto(f"/workflow/definitions/{draft.pk}/edit/")
    page.locator('.djs-element[data-element-id="head"]').click()  # its context pad and properties
    expect(page.get_by_label("办理时限计算方式")).to_be_visible()
    page.locator("#wf-form-editor .fjs-form-field").first.click()  # the form editor's properties
    expect(page.locator("#wf-form-editor .fjs-properties-container")).to_be_visible()
    audit(page, "the designer, a draft", problems)
    page.goto("/catalog/items/new/")
    page.get_by_role("button", name="保存").click()
    page.wait_for_selector("main [aria-invalid=true]")
    audit(page, "service item form with errors", problems)


def sysadmin(page, sub_district, problems):
    audit_all(page, ["/timelimits/policies/"], problems)


def supervisor(page, sub_district, problems):
    """时限监控: the list and a running time limit (the department head's)."""
    clock = Clock.objects.order_by("pk").first()
    audit_all(page, ["/timelimits/", f"/timelimits/{clock.pk}/"], problems)


def community_staff(page, sub_district, problems):
    """Starts processes: the start list and a start form; the inbox's 我发起的."""
    audit_all(page, ["/workflow/start/", "/workflow/start/leave/", "/workflow/inbox/?box=started"], problems)


ROLES = {
    "approver": department_head,
    "office": office,
    "sysadmin": sysadmin,
    "supervisor": supervisor,
    "shequ": community_staff,
}


@pytest.mark.parametrize("username", ROLES)
def test_no_serious_wcag_violation_on_workflow_and_catalog_pages(staff_page, sub_district, username):
    problems: list[str] = []
    ROLES[username](staff_page(sub_district["users"][username]), sub_district, problems)
    assert not problems, f"{username}: {len(problems)} accessibility problems:\n" + "\n".join(problems)


def test_the_diagram_is_a_region_that_says_the_path_in_words(staff_page, sub_district):
    """bpmn-js's viewer takes the keyboard (it can be moved and zoomed), so it is no image; what its green and
    orange say is written under it, and read with it."""
    page = staff_page(sub_district["users"]["approver"])
    page.goto(f"/workflow/instances/{sub_district['leave'].pk}/")
    diagram = page.get_by_role("region", name="流程图", exact=True)
    expect(diagram).to_have_attribute("id", "wf-diagram")
    steps = "已经过：提交请假 → 填写请假申请。当前所在：部门负责人审批。"
    expect(page.get_by_test_id("diagram-steps")).to_have_text(steps)
    assert (
        diagram.evaluate("el => document.getElementById(el.getAttribute('aria-describedby')).textContent")
        == steps
    )


def test_the_inbox_keeps_the_keyboard_and_says_what_changed(staff_page, sub_district):
    """A tab chosen with the keyboard stays focused when the list is replaced; the 30-second refresh waits while
    the keyboard is in the list, and says the new total (not the whole table) once it is done."""
    users = sub_district["users"]
    page = staff_page(users["approver"])
    page.clock.install()  # the refresh every 30 s, without waiting for it
    page.goto("/workflow/inbox/")
    status = page.get_by_test_id("inbox-status")
    expect(status).to_have_attribute("role", "status")
    expect(status).to_have_text(
        "我的待办，共 2 条"
    )  # what the list says now: a refresh without news is silent

    page.get_by_test_id("tab-done").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("inbox-heading")).to_have_text("我的已办")
    expect(page.get_by_test_id("tab-done")).to_be_focused()  # not thrown back to the top of the page
    expect(status).to_have_text("我的已办，共 0 条")
    expect(page.locator("main")).not_to_contain_text("{#")  # the template's comments stay in the template
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")  # back to 待办, with the keyboard
    expect(status).to_have_text("我的待办，共 2 条")

    link = page.get_by_role("link", name=sub_district["leave"].title)
    link.focus()
    shequ = users["shequ"]  # a second request arrives while the department head is on the first
    second = workflow_services.process_start(actor=shequ, definition_key="leave", org=shequ.org)
    workflow_services.task_complete(
        actor=shequ,
        task=second.tasks.get(element_id="apply"),
        form_data={"leave_type": "annual", "start_date": "2026-11-02", "days": 2, "reason": "家中有事"},
    )
    page.clock.fast_forward("00:31")
    page.wait_for_function("() => !document.querySelector('.htmx-request')")
    expect(link).to_be_focused()  # the refresh waited: the link is still where the keyboard is
    page.get_by_label("标题关键字").focus()
    page.clock.fast_forward("00:31")
    expect(page.get_by_test_id("inbox-table").get_by_role("link")).to_have_count(3)
    expect(status).to_have_text("我的待办，共 3 条")  # said once, politely


def test_each_row_action_names_its_record(staff_page, sub_district):
    """查看, 导出, 停用 of each process version, 发起 of each process, 修改 and 撤回 of each announcement, 修改 of
    each time-limit threshold: a screen reader's list of links and buttons says which one."""
    users = sub_district["users"]
    item = ServiceItem.objects.filter(org__name="清波街道").order_by("pk").first()
    clashes = {}
    page = staff_page(users["office"])
    for url in (
        "/workflow/definitions/",
        "/workflow/start/",
        "/catalog/announcements/",
        f"/catalog/items/{item.pk}/",
    ):
        page.goto(url)
        clashes[url] = page.evaluate(SAME_NAME_OTHER_TARGET)
    page = staff_page(users["sysadmin"])
    page.goto("/timelimits/policies/")
    clashes["/timelimits/policies/"] = page.evaluate(SAME_NAME_OTHER_TARGET)
    assert {url: names for url, names in clashes.items() if names} == {}


def test_the_next_page_of_the_inbox_keeps_the_keyboard_in_the_list(staff_page, sub_district, monkeypatch):
    monkeypatch.setattr(workflow_views, "Paginator", lambda rows, _per_page: Paginator(rows, 1))
    page = staff_page(sub_district["users"]["approver"])  # two tasks: two pages
    page.goto("/workflow/inbox/")
    page.get_by_role("link", name="下一页").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("第 2 / 2 页")).to_be_visible()
    # the link pressed went with the old list: the keyboard goes on from the new one, not from the top
    expect(page.get_by_role("region", name="我的待办")).to_be_focused()
