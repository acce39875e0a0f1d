"""抄送/传阅, 会签加签 and the 待办短信提醒 setting in the real browser, as the demo accounts of 清波街道 use them.

A signer of the demo's 班子会签 adds the sub-district leader, who signs from the inbox; the initiator copies two
colleagues picked in the multi-select with the keyboard, one opens the copy from 抄送 and leaves a 阅知意见, and
the initiator's page says who read it and what they said; the department head switches the SMS reminders off
in 个人设置 and the next request reaching them is not texted. The new forms pass axe."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from jiedao.core import demo
from jiedao.core.crypto import mask_phone
from jiedao.sms.models import OutboundMessage
from jiedao.workflow import demo as workflow_demo
from jiedao.workflow import services
from jiedao.workflow.models import ProcessInstance
from tests.browser.test_staff_accessibility import AXE, audit
from tests.browser.test_staff_accessibility import staff_page as staff_page  # a fixture
from tests.browser.test_staff_accessibility_workflow import audit_diagram

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def qingbo():
    """The demo accounts and the shipped processes; 王晓梅 (`window`) has asked for a 班子会签, now with
    党政办 (`office`), the department head (`approver`) and 纪检监察 (`supervisor`)."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci` (make setup installs the development dependencies)")
    users = {user.username: user for user, _role in demo.load()}
    workflow_demo.load_permissions()
    workflow_demo.load_processes()
    window = users["window"]
    instance = services.process_start(
        actor=window,
        definition_key="countersign",
        org=window.org,
        data={"title": "2027 年度社区活动经费预算", "content": "请各位会签。"},
    )
    return {"users": users, "instance": ProcessInstance.objects.get(pk=instance.pk)}


def tab_to(page, element_id: str, limit: int = 60) -> None:
    """Press Tab from the top of the page until `element_id` has the focus, as a keyboard user gets there."""
    page.locator("body").focus()
    for _press in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == element_id:
            return
    raise AssertionError(f"#{element_id} not reached with {limit} presses of Tab")


def texts_to(user) -> int:
    return OutboundMessage.objects.filter(
        phone_masked=mask_phone(user.mobile), purpose="workflow.new_task"
    ).count()


def open_from_inbox(page, title: str) -> None:
    page.goto("/workflow/inbox/")
    page.get_by_test_id("inbox-table").get_by_role("link", name=title).click()


def test_a_signer_adds_the_leader_who_signs_from_the_inbox(staff_page, qingbo):
    users, instance = qingbo["users"], qingbo["instance"]
    page = staff_page(users["office"])
    open_from_inbox(page, instance.title)
    expect(page.locator("h1")).to_have_text("班子成员会签")
    form = page.get_by_test_id("add-signer-form")
    # The suggestions under the box name the colleagues the signer may ask: not the other two signers.
    choices = page.locator("#handover-choices option")
    expect(choices).to_have_count(2)
    expect(choices.first).to_have_attribute("label", "陈海燕（清波街道）")
    expect(choices.last).to_have_attribute("label", "郑国强（明湖区）")
    problems: list[str] = []
    audit(page, "a countersign task with 加签", problems)
    assert not problems, problems

    signer = form.get_by_label("加签人")
    expect(signer).to_have_accessible_description(re.compile("^输入姓名或用户名，从列表中选择。"))
    signer.focus()
    page.keyboard.type("陈海艳")  # a slip of the name: nobody is called that
    page.keyboard.press("Tab")
    expect(form.get_by_label("加签说明")).to_be_focused()
    page.keyboard.type("涉及经费，请陈书记一同会签。")
    page.keyboard.press("Tab")
    expect(form.get_by_role("button", name="加签")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("form-errors")).to_have_text("该用户不存在或已停用。")
    # Sent back with what was typed: only the name is to be put right.
    expect(signer).to_have_value("陈海艳")
    expect(form.get_by_label("加签说明")).to_have_value("涉及经费，请陈书记一同会签。")
    signer.select_text()
    page.keyboard.type("陈海燕")  # her name as people type it, not picked from the suggestions
    signer.press("Enter")
    expect(page.locator("main .alert-success")).to_have_text("已加签：陈海燕。")
    expect(choices).to_have_count(1)  # she signs now
    expect(page.get_by_test_id("history")).to_contain_text("涉及经费，请陈书记一同会签。")

    leader = staff_page(users["leader"])
    open_from_inbox(leader, instance.title)
    expect(leader.locator("h1")).to_have_text("班子成员会签")
    leader.locator("#wf-form .fjs-form").wait_for()
    leader.get_by_label("同意", exact=True).check()
    leader.get_by_label("办理意见").fill("同意。")
    leader.get_by_test_id("complete-form").get_by_role("button", name="提交").click()
    leader.wait_for_url("**/workflow/inbox/")
    expect(leader.locator("main")).to_contain_text("已办理：班子成员会签。")
    leader.goto(reverse("workflow:instance_detail", args=[instance.pk]))
    expect(leader.locator("main")).to_contain_text("班子成员会签 · 陈海燕 · 已办理")


def test_a_copy_to_two_colleagues_is_read_and_answered(staff_page, qingbo):
    users, instance = qingbo["users"], qingbo["instance"]
    url = reverse("workflow:instance_detail", args=[instance.pk])
    problems: list[str] = []
    page = staff_page(users["window"])
    audit_diagram(page, url, problems)  # the copy form, nothing copied yet

    tab_to(page, "copy-recipients")
    recipients = page.get_by_label("抄送给（可多选，最多 20 人）")
    expect(recipients).to_be_focused()
    page.keyboard.press("ArrowDown")  # the first colleague …
    page.keyboard.press("Shift+ArrowDown")  # … and the next one
    expect(recipients).to_have_values(["approver", "leader"])
    page.keyboard.press("Tab")
    expect(page.get_by_label("说明（选填）", exact=True)).to_be_focused()
    page.keyboard.type("请阅知预算安排。")
    page.keyboard.press("Tab")
    expect(page.get_by_test_id("copy-form").get_by_role("button", name="抄送")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main .alert-success")).to_have_text("已抄送：李卫东、陈海燕。")
    copies = page.get_by_test_id("copies")
    for name in ("李卫东", "陈海燕"):
        expect(copies.get_by_role("row").filter(has_text=name)).to_contain_text("未读")
    audit(page, "instance with two copies", problems)

    leader = staff_page(users["leader"])
    leader.goto("/workflow/inbox/")
    leader.get_by_test_id("tab-cc").click()
    expect(leader.get_by_test_id("inbox-heading")).to_have_text("抄送我的")
    row = leader.get_by_test_id("inbox-table").get_by_role("row").filter(has_text=instance.title)
    expect(row).to_contain_text("未读")
    expect(row).to_contain_text("请阅知预算安排。")
    row.get_by_role("link", name=instance.title).click()
    leader.wait_for_url(f"**{url}")
    comment = leader.get_by_label("王晓梅 抄送给您，请阅知。如有意见，请填写阅知意见：")
    expect(comment).to_be_visible()
    audit_diagram(leader, url, problems)  # the 阅知意见 form
    comment.fill("已阅，经费安排合理。")
    leader.get_by_role("button", name="提交阅知意见").click()
    expect(leader.locator("main .alert-success")).to_have_text("阅知意见已保存。")
    expect(leader.get_by_test_id("copy-comment-form")).to_have_count(0)  # once
    leader.goto("/workflow/inbox/?box=cc")
    expect(
        leader.get_by_test_id("inbox-table").get_by_role("row").filter(has_text=instance.title)
    ).not_to_contain_text("未读")
    assert not problems, f"{len(problems)} accessibility problems:\n" + "\n".join(problems)

    page.reload()
    read = copies.get_by_role("row").filter(has_text="陈海燕")
    expect(read).to_contain_text(re.compile(r"已阅 \d{4}-\d{2}-\d{2} \d{2}:\d{2}"))
    expect(read).to_contain_text("已阅，经费安排合理。")
    expect(copies.get_by_role("row").filter(has_text="李卫东")).to_contain_text("未读")
    expect(page.get_by_test_id("history")).to_contain_text("已阅，经费安排合理。")


def test_the_department_head_switches_task_texts_off(staff_page, qingbo):
    users = qingbo["users"]
    approver = users["approver"]
    assert texts_to(approver) == 1  # the 班子会签 reached them, and was texted

    page = staff_page(approver)
    page.goto("/workbench/")
    page.get_by_role("link", name="个人设置").click()
    expect(page.locator("h1")).to_have_text("个人设置")
    expect(page.get_by_test_id("my-account")).to_contain_text("139****0002")
    problems: list[str] = []
    audit(page, "个人设置", problems)
    assert not problems, problems
    texting = page.get_by_label("接收待办短信提醒")
    expect(texting).to_be_checked()
    texting.focus()
    page.keyboard.press("Space")
    expect(texting).not_to_be_checked()
    page.get_by_role("button", name="保存").click()
    expect(page.locator("main .alert-success")).to_have_text("个人设置已保存。")
    expect(page.get_by_label("接收待办短信提醒")).not_to_be_checked()
    page.reload()
    expect(page.get_by_label("接收待办短信提醒")).not_to_be_checked()

    workflow_demo.load_requests()  # a leave request and a joint review, both reaching the department head
    page.goto("/workflow/inbox/")
    expect(page.get_by_test_id("inbox-total")).to_contain_text("共 3 条")  # in the inbox …
    assert texts_to(approver) == 1  # … and no text for either
