"""撤回到我 and 撤销申请 are two actions, and the history says who withdrew."""

import re

import pytest

from jiedao.core.exceptions import Conflict
from jiedao.core.testing import client_for
from jiedao.workflow import services
from jiedao.workflow.choices import HistoryAction, InstanceStatus, TaskStatus
from jiedao.workflow.models import TaskHistory, WorkTask
from jiedao.workflow.tests.processes import start_leave, steps


def text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_instance_page_offers_withdraw_to_me_and_revoke_with_their_own_confirmations(leave, people):
    instance = start_leave(people)
    web = client_for(people.applicant)
    page = web.get(f"/workflow/instances/{instance.pk}/").content.decode()
    assert "撤回到我" in page and "撤销申请" in page
    assert "确定撤回到您的环节吗？下一环节的待办将取消，您可修改后重新提交。" in page
    assert "确定撤销整个申请吗？撤销后流程结束，不能恢复。" in page

    response = web.post(f"/workflow/instances/{instance.pk}/withdraw/")
    assert response.status_code == 302 and steps(instance) == ["apply"]
    instance.refresh_from_db()
    assert instance.status == InstanceStatus.RUNNING
    head = WorkTask.objects.get(instance=instance, element_id="head")
    assert head.status == TaskStatus.CANCELLED
    note = TaskHistory.objects.get(task=head)
    assert (note.action, note.actor, note.opinion) == (
        HistoryAction.WITHDRAW,
        people.applicant,
        "申请人撤回，任务取消。",
    )
    page = web.get(f"/workflow/instances/{instance.pk}/").content.decode()
    history = text(page[page.index('data-testid="history"') :])
    assert "申请人撤回，任务取消。" in history and "流程已向前推进" not in history
    # Back at the initiator's step: nothing to withdraw any more, but the request can still be revoked.
    assert "撤回到我" not in page and "撤销申请" in page
    with pytest.raises(Conflict) as error:
        services.process_withdraw(actor=people.applicant, instance=instance)
    assert "无需撤回" in str(error.value.message)
    instance.refresh_from_db()
    assert instance.status == InstanceStatus.RUNNING  # a second 撤回 no longer cancels the request

    response = web.post(f"/workflow/instances/{instance.pk}/revoke/")
    instance.refresh_from_db()
    assert response.status_code == 302 and instance.status == InstanceStatus.CANCELLED
    assert TaskHistory.objects.filter(instance=instance, opinion="申请人撤销了申请。").exists()


def test_only_the_initiator_revokes_and_not_after_the_next_step_acted(leave, people):
    instance = start_leave(people)
    assert not services.can_revoke(instance, people.head)
    assert client_for(people.head).post(f"/workflow/instances/{instance.pk}/revoke/").status_code in (
        302,
        403,
        404,
    )
    instance.refresh_from_db()
    assert instance.status == InstanceStatus.RUNNING
    services.task_claim(actor=people.head, task=WorkTask.objects.get(instance=instance, element_id="head"))
    assert not services.can_revoke(instance, people.applicant)
    with pytest.raises(Conflict):
        services.process_revoke(actor=people.applicant, instance=instance)
