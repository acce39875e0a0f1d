"""The applicant's own step (filling in, correcting after a 退回, reporting back) is no approval: the page
offers a plain 提交 of the form, without 常用意见, opinion, 同意/不同意 or 转办/委派 of her own request; its date
field reads 年/月/日 in a Chinese browser."""

import pytest
from playwright.sync_api import expect

from jiedao.core.testing import client_for, sign_in
from jiedao.workflow import services
from jiedao.workflow.opinions import phrases_for
from jiedao.workflow.tests import processes
from jiedao.workflow.tests.builder import Bpmn
from jiedao.workflow.tests.processes import start_leave, task_for

APPROVAL_TOOLS = (
    'data-testid="opinion-phrases"',
    'id="opinion"',
    'data-testid="transfer-form"',
    "拟同意",
)


def test_the_applicants_step_after_a_return_is_a_plain_submit(leave, people):
    instance = start_leave(people)
    phrases_for(people.applicant)  # the defaults (同意。, 拟同意，请领导审批。…) exist for the applicant too
    head = client_for(people.head).get(f"/workflow/tasks/{task_for(instance, 'head').pk}/").content.decode()
    assert all(tool in head for tool in APPROVAL_TOOLS[:3])  # an approver's step keeps them

    services.task_return(actor=people.head, task=task_for(instance, "head"), reason="请补充证明材料")
    again = task_for(instance, "apply", people.applicant)
    page = client_for(people.applicant).get(f"/workflow/tasks/{again.pk}/").content.decode()
    assert 'data-testid="complete-form"' in page and "提交" in page
    for tool in APPROVAL_TOOLS:
        assert tool not in page, tool


def test_an_initiator_step_without_a_form_has_no_outcome_to_choose(people):
    xml = (
        Bpmn("note", "备案")
        .start()
        .user("file", "报送备案", assignee="initiator")
        .user("check", "审核", groups="role:approver")
        .end()
        .chain("start", "file", "check", "end")
        .xml()
    )
    processes.deploy(people, "note", xml=xml, forms={})
    instance = services.process_start(actor=people.applicant, definition_key="note", org=people.applicant.org)
    page = (
        client_for(people.applicant).get(f"/workflow/tasks/{task_for(instance, 'file').pk}/").content.decode()
    )
    assert 'name="outcome"' not in page and 'id="opinion"' not in page
    assert "该环节没有表单，直接提交即可。" in page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_date_fields_placeholder_is_chinese(open_page, live_server, people):
    processes.deploy(people, "leave")
    instance = services.process_start(
        actor=people.applicant, definition_key="leave", org=people.applicant.org
    )
    page = open_page(1280, 900, console=False)
    sign_in(page, people.applicant, live_server)
    page.goto(f"/workflow/tasks/{task_for(instance, 'apply').pk}/")
    field = page.locator("#wf-form").get_by_label("开始日期")
    expect(field).to_have_attribute("placeholder", "年/月/日")
    assert not page.problems
