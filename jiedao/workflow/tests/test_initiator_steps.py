"""退回 is an approver's action: a step the initiator handles (filling in, reporting back after approval)
offers no return, so an applicant cannot send their own approved request back to the approvers."""

import pytest

from jiedao.core.exceptions import ValidationFailed
from jiedao.core.testing import client_for
from jiedao.workflow import services
from jiedao.workflow.tests.processes import complete, start_leave, steps, task_for

pytestmark = pytest.mark.django_db

APPROVE = {"outcome": "approve"}


def test_the_applicant_cannot_return_the_report_back_step_to_the_approvers(leave, people):
    instance = start_leave(people, days=5)
    complete(instance, "head", people.head, APPROVE)
    complete(instance, "leader", people.leader, APPROVE)
    report = task_for(instance, "report")
    assert services.return_targets(report) == []
    with pytest.raises(ValidationFailed) as refused:
        services.task_return(
            actor=people.applicant, task=report, reason="想让领导再看看", to_element="leader"
        )
    assert refused.value.errors == {"to_element": ["发起人办理的环节不能退回；如需取消申请，请撤销申请。"]}
    instance.refresh_from_db()
    assert steps(instance) == ["report"]
    page = client_for(people.applicant).get(f"/workflow/tasks/{report.pk}/").content.decode()
    assert "退回原因" not in page  # no return form on the page

    other = start_leave(people, days=2)
    head = task_for(other, "head")  # an approver's step still returns
    assert services.return_targets(head) == [("apply", "填写请假申请")]
    assert "退回原因" in client_for(people.head).get(f"/workflow/tasks/{head.pk}/").content.decode()


def test_history_tells_a_delegates_suggestion_from_a_decision_and_a_return_is_named_once(leave, people):
    instance = start_leave(people)
    task = services.task_claim(actor=people.head, task=task_for(instance, "head"))
    services.task_delegate(actor=people.head, task=task, to_user=people.office1, reason="请先核实")
    task.refresh_from_db()
    services.task_complete(
        actor=people.office1, task=task, form_data={"outcome": "reject"}, opinion="收入不符"
    )
    page = client_for(people.applicant).get(f"/workflow/instances/{instance.pk}/").content.decode()
    assert "受托意见（建议不同意），交回委派人决定" in page
    assert "办理（不同意）" not in page  # nothing was decided yet

    task.refresh_from_db()
    services.task_return(actor=people.head, task=task, reason="请补充材料")
    page = client_for(people.applicant).get(f"/workflow/instances/{instance.pk}/").content.decode()
    assert "退回（退回）" not in page and "部门负责人审批 · 退回" in page
