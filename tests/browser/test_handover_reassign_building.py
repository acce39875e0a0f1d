"""工作交接 at 停用, 改派 by the process administrator and the 楼盘表, walked in the real browser by the demo
accounts of 清波街道.

The system administrator (past the TOTP second factor) opens a department head's 停用 page from the user list,
sees what they still hold, names a colleague of another sub-district — refused in Chinese, the account stays
active — then a colleague who can see the work, and the step is in the successor's 待办. The 党政办 process
administrator gives a claimed step to a colleague with the keyboard; it leaves the old holder's 待办 and the new
holder completes it. A community worker opens a building from the list, finds each room on its floor and unit
and follows one to its house page. The forms and the grid pass axe."""

import re

import pyotp
import pytest
from django.urls import reverse
from playwright.sync_api import expect

from jiedao.accounts.models import User
from jiedao.core import demo
from jiedao.registry import demo as registry_demo
from jiedao.registry import services as registry
from jiedao.workflow import demo as workflow_demo
from jiedao.workflow import services
from jiedao.workflow.models import ProcessInstance, WorkTask
from tests.browser.test_copies_and_signers import open_from_inbox, tab_to
from tests.browser.test_staff_accessibility import AXE, audit
from tests.browser.test_staff_accessibility import staff_page as staff_page  # a fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEAD_STEP = "部门负责人审批"


@pytest.fixture
def users():
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci` (make setup installs the development dependencies)")
    return {user.username: user for user, _role in demo.load()}


@pytest.fixture
def leave(users):
    """The demo's leave request of 张秀英 (柳浪社区), its 部门负责人审批 claimed by 李卫东 (`approver`)."""
    workflow_demo.load_permissions()
    workflow_demo.load_processes()
    workflow_demo.load_requests()
    instance = ProcessInstance.objects.get(initiator=users["shequ"], definition__key="leave")
    task = WorkTask.objects.get(instance=instance, element_id="head")
    if task.assignee_id is None:  # the only department head of 清波 has it already
        services.task_claim(actor=users["approver"], task=task)
    return {"users": users, "instance": instance}


def log_in_with_totp(page, user) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/two-factor/")
    page.get_by_label("动态口令").fill(pyotp.TOTP(user.totp_secret).now())
    page.get_by_role("button", name="验证").click()
    page.wait_for_url("**/workbench/")


def test_the_administrator_deactivates_a_head_handing_the_step_to_a_colleague(staff_page, leave):
    users, instance = leave["users"], leave["instance"]
    approver = users["approver"]
    page = staff_page()
    log_in_with_totp(page, users["sysadmin"])
    page.goto(reverse("accounts:user_list"))
    page.get_by_role("link", name="停用 李卫东").click()
    expect(page.locator("h1")).to_have_text("停用用户：李卫东（approver）")
    work = page.get_by_test_id("open-work")
    # The leave request's step and the demo's 联合审查 (业务科室's branch).
    expect(work.get_by_role("row").last.get_by_role("cell")).to_have_text(["流程待办", "2"])
    problems: list[str] = []
    audit(page, "停用 with open work", problems)
    assert not problems, problems

    # The keyboard reaches the successor, the reason and the button in that order, each by its label.
    tab_to(page, "id_successor")
    successor = page.get_by_label("接替人")
    expect(successor).to_be_focused()
    expect(successor).to_have_accessible_description(
        "接替人须为在岗的业务工作人员，且能办理所交接的工作（在其管辖范围内）。"
    )
    successor.select_option(label="冯志刚（approver2，望江街道）")  # another sub-district's head
    page.keyboard.press("Tab")
    reason = page.get_by_label("交接原因")
    expect(reason).to_be_focused()
    expect(reason).to_have_value("离职")
    page.keyboard.press("Tab")
    submit = page.get_by_role("button", name="交接并停用")
    expect(submit).to_be_focused()
    page.keyboard.press("Enter")
    error = page.locator("#id_successor_error")
    expect(error).to_contain_text("以下工作不能交给 冯志刚，账号未停用：")
    expect(error).to_contain_text(HEAD_STEP)
    # Read with the field, which has the focus; what was chosen and typed is kept.
    expect(successor).to_be_focused()
    expect(successor).to_have_accessible_description(re.compile("以下工作不能交给 冯志刚"))
    expect(successor.locator("option:checked")).to_have_text("冯志刚（approver2，望江街道）")
    expect(reason).to_have_value("离职")
    audit(page, "停用 refused", problems)
    assert not problems, problems
    approver.refresh_from_db()
    assert approver.is_active

    successor.select_option(label="陈海燕（leader，清波街道）")
    reason.fill("离职（调往区政务服务中心）")
    submit.click()
    page.wait_for_url("**/accounts/users/")
    expect(page.locator("main .alert-success").first).to_contain_text("已将 2 项工作交接给 陈海燕。")
    expect(page.get_by_role("link", name="停用 李卫东")).to_have_count(0)
    assert not User.objects.get(pk=approver.pk).is_active

    # The successor holds both steps now; the 工作交接 page (调岗, the account stays active) says so.
    page.get_by_role("link", name="工作交接 陈海燕").click()
    expect(page.locator("h1")).to_have_text("工作交接：陈海燕（leader）")
    expect(page.get_by_test_id("open-work").get_by_role("row").last.get_by_role("cell")).to_have_text(
        ["流程待办", "2"]
    )
    expect(page.get_by_role("button", name="交接")).to_be_visible()
    audit(page, "工作交接", problems)
    assert not problems, problems

    leader = staff_page(users["leader"])
    leader.goto("/workflow/inbox/")
    expect(
        leader.get_by_test_id("inbox-table").get_by_role("row").filter(has_text=instance.title)
    ).to_contain_text(HEAD_STEP)


def test_the_process_administrator_reassigns_a_claimed_step_with_the_keyboard(staff_page, leave):
    """On the demo's 联合审查 of 清波街道 (the leave request is a community's: beyond 党政办's own node), 李卫东
    has claimed 业务科室意见 and is away; 赵丽娟 administers the sub-district's processes."""
    users = leave["users"]
    instance = ProcessInstance.objects.get(initiator=users["window"], definition__key="joint_review")
    business = WorkTask.objects.get(instance=instance, element_id="review_business")
    if business.assignee_id is None:
        services.task_claim(actor=users["approver"], task=business)
    step_name = "业务科室意见"
    url = reverse("workflow:instance_detail", args=[instance.pk])
    page = staff_page(users["office"])
    page.goto(url)
    section = page.get_by_test_id("reassign")
    summary = section.locator("summary")
    summary.focus()
    expect(summary).to_have_text("改派（流程管理员）")
    page.keyboard.press("Enter")  # a <details> opens from the keyboard
    form = page.get_by_test_id("reassign-form")
    expect(form).to_be_visible()
    problems: list[str] = []
    audit(page, "改派 form", problems)
    assert not problems, problems

    page.keyboard.press("Tab")
    step = form.get_by_label("环节")
    expect(step).to_be_focused()
    for _press in range(3):
        if step.evaluate("el => el.selectedOptions[0].text").startswith(step_name):
            break
        page.keyboard.press("ArrowDown")
    expect(step.locator("option:checked")).to_have_text(f"{step_name} · 李卫东")
    page.keyboard.press("Tab")
    to_user = form.get_by_label("新办理人")
    expect(to_user).to_be_focused()
    page.keyboard.type("leader")
    page.keyboard.press("Tab")
    expect(form.get_by_label("改派原因")).to_be_focused()
    page.keyboard.type("李卫东病假，未设流程代理。")
    page.keyboard.press("Tab")
    expect(form.get_by_role("button", name="改派")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main .alert-success")).to_have_text(f"已改派：“{step_name}”交由 陈海燕 办理。")
    expect(page.get_by_test_id("history")).to_contain_text("李卫东病假，未设流程代理。")

    old = staff_page(users["approver"])
    old.goto("/workflow/inbox/")
    expect(old.get_by_test_id("inbox-table")).not_to_contain_text(instance.title)

    new = staff_page(users["leader"])
    open_from_inbox(new, instance.title)
    expect(new.locator("h1")).to_have_text(step_name)
    new.locator("#wf-form .fjs-form").wait_for()
    new.get_by_label("同意", exact=True).check()
    new.get_by_test_id("complete-form").get_by_role("button", name="提交").click()
    new.wait_for_url("**/workflow/inbox/")
    expect(new.locator("main")).to_contain_text(f"已办理：{step_name}。")
    new.goto(url)
    expect(new.locator("main")).to_contain_text(f"{step_name} · 陈海燕 · 已办理")


def test_a_community_worker_reads_a_building_by_floor_and_unit(staff_page, users):
    registry_demo.grant_role_permissions()
    clerk = users["shequ"]
    building = registry.building_create(
        actor=clerk,
        data=registry.BuildingData(org=clerk.org, street_address="柳浪路12号", name="3幢", floors=12),
    )
    rooms = {("1单元", "101"): {}, ("1单元", "1203"): {"is_rented": True}, ("2单元", "302"): {}}
    rooms[("2单元", "商铺1")] = {"use": "commercial"}
    for (unit, room), extra in rooms.items():
        registry.house_create(
            actor=clerk, data=registry.HouseData(building=building, unit=unit, room=room, **extra)
        )

    page = staff_page(clerk)
    page.goto("/registry/buildings/")
    # The link reads the address, hidden on screen, before the building's name. Playwright's click aims at
    # that 1 px hidden span and hits the cell, so the link is followed as a keyboard user does.
    link = page.get_by_test_id("results-table").get_by_role("link", name="柳浪路12号 3幢")
    link.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("柳浪路12号3幢")
    grid = page.get_by_test_id("building-grid")
    expect(grid.locator("thead th")).to_have_text(["楼层", "1单元", "2单元"])

    def cell(floor: str, unit: int):
        return (
            grid.get_by_role("row")
            .filter(has=page.get_by_role("rowheader", name=floor, exact=True))
            .locator("td")
            .nth(unit - 1)
        )

    expect(cell("12 层", 1)).to_contain_text("1203")
    expect(cell("12 层", 1)).to_contain_text("出租")
    expect(cell("1 层", 1)).to_contain_text("101")
    expect(cell("3 层", 2)).to_contain_text("302")
    expect(cell("其他", 2)).to_contain_text("商铺1")
    expect(cell("其他", 2)).to_contain_text("商用")
    expect(cell("3 层", 1)).to_have_text("—无房屋")
    problems: list[str] = []
    audit(page, "楼盘表", problems)
    assert not problems, problems

    cell("12 层", 1).get_by_role("link").click()
    page.wait_for_url("**/registry/houses/*/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("柳浪路12号3幢1单元1203")
