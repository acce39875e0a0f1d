"""Handing a step on, sending it twice, and what the person a step was returned to sees."""

import json

import pytest

from jiedao.core.exceptions import Conflict, ValidationFailed
from jiedao.core.testing import api_client_for, client_for
from jiedao.workflow import services
from jiedao.workflow.choices import HistoryAction
from jiedao.workflow.models import TaskHistory, WorkTask
from jiedao.workflow.tests import processes
from jiedao.workflow.tests.processes import complete, start_leave, steps, task_for

APPROVE = {"outcome": "approve"}
TO_INITIATOR = "不能转给发起人本人：发起人不能审批（办理）自己发起的流程的这一环节。"


def test_an_approval_step_cannot_be_handed_to_the_applicant(leave, people):
    instance = start_leave(people, days=5)
    complete(instance, "head", people.head, APPROVE)
    task = task_for(instance, "leader")
    for service in (services.task_transfer, services.task_delegate):
        with pytest.raises(ValidationFailed) as error:
            service(actor=people.leader, task=task, to_user=people.applicant, reason="请本人处理")
        assert error.value.errors == {"to_user": [TO_INITIATOR]}
    task.refresh_from_db()
    assert task.assignee == people.leader and list(task.candidates.all()) == [people.leader]
    assert not TaskHistory.objects.filter(
        action__in=[HistoryAction.TRANSFER, HistoryAction.DELEGATE]
    ).exists()
    # through the API: a 400 naming the field, and the leader still holds the step
    answer = api_client_for(people.leader).post(
        f"/api/v1/tasks/{task.pk}/transfer/", {"to_user": "applicant", "reason": "x"}, format="json"
    )
    assert answer.status_code == 400 and answer.json()["errors"]["to_user"] == [TO_INITIATOR]
    assert WorkTask.objects.get(pk=task.pk).assignee == people.leader
    # handing it to another colleague is still fine
    services.task_transfer(actor=people.leader, task=task, to_user=people.head2, reason="出差")
    assert WorkTask.objects.get(pk=task.pk).assignee == people.head2


def test_the_initiators_own_step_may_still_be_handed_on(leave, people):
    """The rule is about approving one's own request: the applicant's own step is not an approval."""
    instance = services.process_start(
        actor=people.applicant, definition_key="leave", org=people.applicant.org, data={}
    )
    task = task_for(instance, "apply")
    services.task_transfer(actor=people.applicant, task=task, to_user=people.head2, reason="代为填写")
    assert WorkTask.objects.get(pk=task.pk).assignee == people.head2


def test_sending_the_same_step_twice_says_it_was_already_done_by_you(leave, people):
    instance = start_leave(people)
    task = task_for(instance, "head")
    url = f"/workflow/tasks/{task.pk}/complete/"
    form = {"form_data": json.dumps(APPROVE), "version": task.version}
    web = client_for(people.head)
    assert web.post(url, form).status_code == 302
    again = web.post(url, form)
    assert again.status_code == 400 and "您已办理过该任务，无需重复提交。" in again.content.decode()
    with pytest.raises(Conflict) as error:
        services.task_complete(actor=people.head, task=task, form_data=APPROVE)
    assert str(error.value.message) == "您已办理过该任务，无需重复提交。"
    assert steps(instance) == ["report"] and WorkTask.objects.filter(element_id="report").count() == 1


def test_a_returned_step_says_who_returned_it_and_why(leave, people):
    applicant, head = client_for(people.applicant), client_for(people.head)
    instance = services.process_start(
        actor=people.applicant, definition_key="leave", org=people.applicant.org, data={}
    )
    first = task_for(instance, "apply")
    assert 'data-testid="task-returned"' not in applicant.get(f"/workflow/tasks/{first.pk}/").content.decode()
    complete(instance, "apply", people.applicant, processes.LEAVE)
    head_task = task_for(instance, "head")
    services.task_return(actor=people.head, task=head_task, reason="请补充请假事由")
    again = task_for(instance, "apply")
    page = " ".join(applicant.get(f"/workflow/tasks/{again.pk}/").content.decode().split())
    assert 'data-testid="task-returned"' in page
    assert "已被退回：李主任（部门负责人审批）于" in page and "退回原因：请补充请假事由" in page
    # the approver's own page of the step says it was returned, not handled
    old = " ".join(head.get(f"/workflow/tasks/{head_task.pk}/").content.decode().split())
    assert (
        'data-testid="task-status">已退回<' in old and "于 " in old and " 退回<br>意见：请补充请假事由" in old
    )
    instance_page = " ".join(head.get(f"/workflow/instances/{instance.pk}/").content.decode().split())
    assert "部门负责人审批 · 李主任 · 已退回" in instance_page
    # sent again, the approver's new step is an ordinary one
    complete(instance, "apply", people.applicant, processes.LEAVE)
    fresh = task_for(instance, "head")
    assert 'data-testid="task-returned"' not in head.get(f"/workflow/tasks/{fresh.pk}/").content.decode()


def test_the_task_page_offers_colleagues_by_name_for_a_handover(leave, people):
    instance = start_leave(people)
    task = task_for(instance, "head")
    page = client_for(people.head).get(f"/workflow/tasks/{task.pk}/").content.decode()
    choices = page[page.index('<datalist id="handover-choices"') : page.index("</datalist>")]
    assert '<option value="leader" label="陈书记（' in choices and 'value="head2"' in choices
    for name in ("head", "applicant", "applicant2", "outsider"):  # oneself, the applicant, out of scope
        assert f'value="{name}"' not in choices
    assert "接收人" in page and "输入姓名或用户名，从列表中选择。" in page


def test_a_second_return_shows_its_own_reason_whatever_the_engine_clock(leave, people, clock):
    """The engine's clock (set here to September) is not the clock of the rows' creation times."""
    applicant = client_for(people.applicant)
    instance = start_leave(people)
    services.task_return(actor=people.head, task=task_for(instance, "head"), reason="第一次：请补充事由")
    complete(instance, "apply", people.applicant, processes.LEAVE)
    clock.advance(hours=2)
    services.task_return(actor=people.head2, task=task_for(instance, "head"), reason="第二次：请写明日期")
    page = applicant.get(f"/workflow/tasks/{task_for(instance, 'apply').pk}/").content.decode()
    assert "退回原因：第二次：请写明日期" in page and "退回原因：第一次" not in page
    assert "head2（部门负责人审批）" in page


def test_the_handover_list_costs_the_same_whatever_the_staff_count(leave, people):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from jiedao.core.scope import DataScope
    from jiedao.workflow.tests.conftest import _user, role

    instance = start_leave(people)
    task = task_for(instance, "head")
    client = client_for(people.head)
    client.get(f"/workflow/tasks/{task.pk}/")
    with CaptureQueriesContext(connection) as before:
        client.get(f"/workflow/tasks/{task.pk}/")
    for number in range(20):
        _user(people.tree.subdistrict_a, f"staff{number}", role("approver"))
    node_only = role("node-viewer", "workflow.view_processinstance", scope=DataScope.NODE)
    _user(people.tree.district, "district_node", node_only)  # sees the district's own records only
    with CaptureQueriesContext(connection) as after:
        page = client.get(f"/workflow/tasks/{task.pk}/").content.decode()
    assert len(after) == len(before)
    choices = page[page.index('<datalist id="handover-choices"') : page.index("</datalist>")]
    assert 'value="staff19"' in choices and 'value="district_node"' not in choices
    assert 'value="depta"' not in choices  # a role without the workflow's view permission


def test_the_inbox_marks_a_step_sent_back(leave, people):
    applicant, head = client_for(people.applicant), client_for(people.head)
    instance = start_leave(people)  # the applicant's step is done; the head's is open
    other = start_leave(people)
    assert 'data-testid="inbox-returned"' not in head.get("/workflow/inbox/").content.decode()
    services.task_return(actor=people.head, task=task_for(instance, "head"), reason="请补充")
    rows = [
        r for r in applicant.get("/workflow/inbox/").content.decode().split("<tr>") if "/workflow/tasks/" in r
    ]
    assert len(rows) == 1 and "被退回" in rows[0] and instance.title in rows[0]
    complete(instance, "apply", people.applicant, processes.LEAVE)
    page = head.get("/workflow/inbox/").content.decode()
    assert page.count("/workflow/tasks/") == 2 and 'data-testid="inbox-returned"' not in page
    assert other.pk != instance.pk
