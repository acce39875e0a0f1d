"""A request sent back (退回) to the applicant's own step is in her hands: she may drop it (撤销申请)."""

import pytest

from jiedao.core.exceptions import Conflict
from jiedao.core.testing import client_for
from jiedao.workflow import services
from jiedao.workflow.choices import InstanceStatus, TaskStatus
from jiedao.workflow.models import WorkTask
from jiedao.workflow.tests.processes import complete, start_leave, task_for


def test_the_applicant_revokes_a_request_returned_to_her(leave, people):
    instance = start_leave(people, days=5)
    complete(instance, "head", people.head, {"outcome": "approve"})
    services.task_return(
        actor=people.leader,
        task=task_for(instance, "leader", people.leader),
        reason="请补充证明材料",
        to_element="apply",
    )
    instance.refresh_from_db()
    assert services.can_revoke(instance, people.applicant)
    assert not services.can_revoke(instance, people.head)
    web = client_for(people.applicant)
    page = web.get(f"/workflow/instances/{instance.pk}/").content.decode()
    assert 'data-testid="revoke"' in page

    assert web.post(f"/workflow/instances/{instance.pk}/revoke/").status_code == 302
    instance.refresh_from_db()
    assert instance.status == InstanceStatus.CANCELLED
    apply = WorkTask.objects.filter(instance=instance, element_id="apply").order_by("-id").first()
    assert apply.status == TaskStatus.CANCELLED


def test_not_once_she_resubmitted_and_the_next_step_acted(leave, people):
    instance = start_leave(people)
    services.task_return(actor=people.head, task=task_for(instance, "head", people.head), reason="请写明事由")
    instance.refresh_from_db()
    assert services.can_revoke(instance, people.applicant)
    complete(
        instance,
        "apply",
        people.applicant,
        {"reason": "回乡探亲", "leave_type": "personal", "start_date": "2026-10-12", "days": 2},
    )
    assert services.can_revoke(instance, people.applicant)  # the next step has not acted yet
    services.task_claim(actor=people.head, task=task_for(instance, "head", people.head))
    assert not services.can_revoke(instance, people.applicant)
    with pytest.raises(Conflict):
        services.process_revoke(actor=people.applicant, instance=instance)


def test_not_an_approved_leave_waiting_for_her_report(leave, people):
    instance = start_leave(people)
    complete(instance, "head", people.head, {"outcome": "approve"})
    assert task_for(instance, "report", people.applicant)
    assert not services.can_revoke(instance, people.applicant)
