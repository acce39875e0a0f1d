"""jiedao:excludeInitiator: the initiator never handles an approval of their own request — left out of the
step's candidates, a role: group looks a level up, nobody left is refused with a Chinese message."""

import pytest

from jiedao.core.exceptions import ServiceError
from jiedao.core.testing import client_for
from jiedao.workflow import services
from jiedao.workflow.choices import TaskStatus
from jiedao.workflow.models import WorkTask
from jiedao.workflow.tests import processes
from jiedao.workflow.tests.conftest import _user, role
from jiedao.workflow.tests.processes import LEAVE, open_tasks, task_for
from jiedao.workflow.tests.test_deploy import deploy_errors

HEAD = 'camunda:candidateGroups="role:approver"'


def leave_excluding_the_initiator(people):
    xml, forms = processes.shipped("leave")
    assert xml.count(HEAD) == 1
    xml = xml.replace(HEAD, HEAD + ' jiedao:excludeInitiator="true"')
    return processes.deploy(people, "leave", xml=xml, forms=forms)


def head_applies(people):
    instance = services.process_start(actor=people.head, definition_key="leave", org=people.head.org, data={})
    return instance, task_for(instance, "apply", people.head)


def test_a_department_head_does_not_approve_their_own_leave(people):
    leave_excluding_the_initiator(people)
    instance, apply = head_applies(people)
    services.task_complete(actor=people.head, task=apply, form_data=LEAVE)
    task = WorkTask.objects.get(instance=instance, element_id="head")
    assert task.assignee == people.head2 and list(task.candidates.all()) == [people.head2]
    # nor may it be handed to him
    page = client_for(people.head2).get(f"/workflow/tasks/{task.pk}/").content.decode()
    assert 'value="head"' not in page[page.index('id="handover-choices"') :]


def test_a_role_held_only_by_the_initiator_goes_a_level_up(people):
    leave_excluding_the_initiator(people)
    people.head2.is_active = False
    people.head2.save(update_fields=["is_active"])
    district_head = _user(people.tree.district, "qu_head", role("approver"))
    instance, apply = head_applies(people)
    services.task_complete(actor=people.head, task=apply, form_data=LEAVE)
    assert WorkTask.objects.get(instance=instance, element_id="head").assignee == district_head


def test_nobody_but_the_initiator_refuses_the_step_and_nothing_advances(people):
    leave_excluding_the_initiator(people)
    people.head2.is_active = False
    people.head2.save(update_fields=["is_active"])
    instance, apply = head_applies(people)
    with pytest.raises(ServiceError) as error:
        services.task_complete(actor=people.head, task=apply, form_data=LEAVE)
    assert str(error.value.message).endswith("（发起人李主任本人不能办理该环节。）")
    assert "环节「部门负责人审批」找不到办理人：甲街道除发起人外没有在岗的“角色approver”" in str(
        error.value.message
    )
    assert [t.element_id for t in open_tasks(instance)] == ["apply"]
    assert WorkTask.objects.get(pk=apply.pk).status != TaskStatus.COMPLETED


def test_other_applicants_are_unaffected(people):
    leave_excluding_the_initiator(people)
    instance = processes.start_leave(people)
    assert sorted(u.username for u in task_for(instance, "head").candidates.all()) == ["head", "head2"]


def test_naming_the_initiator_on_a_step_that_excludes_them_is_refused_on_deploy(people):
    xml, forms = processes.shipped("leave")
    xml = xml.replace(
        'camunda:assignee="initiator" camunda:formKey="leave_apply"',
        'camunda:assignee="initiator" camunda:formKey="leave_apply" jiedao:excludeInitiator="true"',
    )
    errors = deploy_errors(people, xml, forms)
    assert errors == [
        "用户任务「填写请假申请」（apply）设置了“发起人不能办理”，却又指定发起人（initiator）为办理人。"
    ]


@pytest.fixture
def page(open_page):
    return open_page(1400, 1000, console=False)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_designer_sets_it_with_a_checkbox(page, live_server, people):
    from playwright.sync_api import expect

    from jiedao.core.testing import sign_in
    from jiedao.workflow.models import ProcessDefinition
    from jiedao.workflow.tests.test_ui_zh_browser import draft_with_leave

    definition = draft_with_leave(people)
    sign_in(page, people.deployer, live_server)
    page.goto(f"/workflow/definitions/{definition.pk}/edit/")
    page.locator('.djs-element[data-element-id="head"]').click()
    box = page.get_by_label("发起人不能办理本环节（不能审批自己的申请）")
    expect(box).not_to_be_checked()
    box.check()
    page.locator("#wf-save").click()
    expect(page.locator("#wf-messages")).to_contain_text("草稿已保存。")
    xml = ProcessDefinition.objects.get(pk=definition.pk).bpmn_xml
    head = xml[xml.index('id="head"') - 20 : xml.index('id="head"') + 400]
    assert 'jiedao:excludeInitiator="true"' in head
