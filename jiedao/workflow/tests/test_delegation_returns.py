"""A delegated (委派) task comes back to the one who delegated it: the delegate handles it but cannot pass it
on or send it back, and the delegator's 待办 keeps it, marked with whom it is."""

import pytest

from jiedao.core.exceptions import ServiceError
from jiedao.core.testing import api_client_for, client_for
from jiedao.workflow import selectors, services
from jiedao.workflow.choices import HistoryAction, TaskStatus
from jiedao.workflow.models import TaskHistory
from jiedao.workflow.tests.processes import start_leave, steps, task_for


def delegated(people):
    instance = start_leave(people)
    task = services.task_claim(actor=people.head, task=task_for(instance, "head"))
    services.task_delegate(actor=people.head, task=task, to_user=people.office1, reason="请帮忙核实")
    task.refresh_from_db()
    return instance, task


def test_the_delegate_cannot_transfer_delegate_or_return_it(leave, people):
    instance, task = delegated(people)
    with pytest.raises(ServiceError) as error:
        services.task_transfer(actor=people.office1, task=task, to_user=people.leader, reason="请领导定")
    assert str(error.value.message) == "该任务由 李主任 委派给您，办理后将交回委派人决定，不能转办。"
    with pytest.raises(ServiceError) as error:
        services.task_delegate(actor=people.office1, task=task, to_user=people.office2, reason="帮我看看")
    assert "不能再委派" in str(error.value.message)
    with pytest.raises(ServiceError) as error:
        services.task_return(actor=people.office1, task=task, reason="材料不全")
    assert "不能退回" in str(error.value.message)
    task.refresh_from_db()
    assert (task.assignee, task.owner, task.status) == (people.office1, people.head, TaskStatus.CLAIMED)
    assert not TaskHistory.objects.filter(action=HistoryAction.TRANSFER).exists()

    # Through the page the transfer is refused with the same words; the page offers none of the three.
    web = client_for(people.office1)
    refused = web.post(
        f"/workflow/tasks/{task.pk}/transfer/",
        {"version": task.version, "to_user": "leader", "reason": "请领导定"},
    )
    assert refused.status_code == 400
    assert "不能转办" in refused.content.decode()
    page = web.get(f"/workflow/tasks/{task.pk}/").content.decode()
    assert 'data-testid="transfer-form"' not in page and 'data-testid="return-form"' not in page
    assert "该任务由 李主任 委派给您，办理后交回 李主任 决定" in page

    # Handling it still hands it back to the delegator, who decides.
    services.task_complete(actor=people.office1, task=task, form_data={"outcome": "approve"}, opinion="属实")
    task.refresh_from_db()
    assert (task.assignee, task.owner) == (people.head, None) and steps(instance) == ["head"]


def test_the_delegators_inbox_keeps_the_task_marked_with_whom_it_is(leave, people):
    instance, task = delegated(people)
    assert selectors.todo_tasks(people.head).filter(pk=task.pk).exists()
    assert selectors.counts(people.head)["todo"] == 1
    inbox = client_for(people.head).get("/workflow/inbox/").content.decode()
    assert "已委派给 office1" in inbox
    assert f'value="{task.pk}:' not in inbox  # no 批量审批 box: it is not the delegator's to decide yet
    page = client_for(people.head).get(f"/workflow/tasks/{task.pk}/").content.decode()
    assert "已委派给 office1，待其办理后交回您决定。" in page

    todo = api_client_for(people.head).get("/api/v1/tasks/", {"box": "todo"}).json()["results"]
    assert [(item["id"], item["delegated_to"]) for item in todo] == [(task.pk, "office1")]
    mine = api_client_for(people.office1).get("/api/v1/tasks/", {"box": "todo"}).json()["results"]
    assert [(item["id"], item["delegated_to"]) for item in mine] == [(task.pk, None)]


def test_every_inbox_item_of_the_api_says_whether_it_is_delegated(leave, people):
    delegated(people)
    api = api_client_for(people.applicant)
    for box in ("started", "cc", "todo", "done"):
        for item in api.get("/api/v1/tasks/", {"box": box}).json()["results"]:
            assert item["delegated_to"] is None, (box, item)
    assert api.get("/api/v1/tasks/", {"box": "started"}).json()["results"]
