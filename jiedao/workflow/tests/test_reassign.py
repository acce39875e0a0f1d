"""改派: an administrator of the processes gives one open step to someone else when its holder is away without
a 流程代理 — a claimed step, or a group's step nobody claimed. The new holder completes it and the process goes
on; the former holder can no longer act and is told why; nobody else may do it, and only to someone who may
see the instance."""

from functools import partial

import pytest

from jiedao.audit.models import AuditEvent
from jiedao.core.crypto import mask_phone
from jiedao.core.exceptions import Conflict, OutOfScope, PermissionDenied, ValidationFailed
from jiedao.core.testing import api_client_for, client_for
from jiedao.sms.models import OutboundMessage
from jiedao.workflow import services
from jiedao.workflow.choices import HistoryAction, TaskStatus
from jiedao.workflow.models import TaskHistory, WorkTask
from jiedao.workflow.tests.conftest import _user, role
from jiedao.workflow.tests.processes import complete, start_leave, steps, task_for
from jiedao.workflow.tests.racing import (
    assert_chain_verifies,
    both_orders,
    one_during_the_other,
    require_postgresql,
    run,
    winner,
)

pytestmark = pytest.mark.django_db

APPROVE = {"outcome": "approve"}


@pytest.fixture
def admin(people):
    """An administrator of the sub-district's processes who may open its instances."""
    admins = role("process-admin", "workflow.view_processinstance", "workflow.change_processinstance")
    return _user(people.tree.subdistrict_a, "padmin", admins)


def claimed_head_step(people):
    instance = start_leave(people)
    task = task_for(instance, "head", people.head)
    services.task_claim(actor=people.head, task=task)
    task.refresh_from_db()
    return instance, task


def test_a_claimed_step_goes_to_a_colleague_who_completes_it(leave, people, admin):
    people.head.mobile = "13811110001"
    people.head.save(update_fields=["mobile"])
    instance, stale = claimed_head_step(people)

    task = services.task_reassign(actor=admin, task=stale, to_user="head2", reason="李主任病假")

    assert task.assignee == people.head2 and task.status == TaskStatus.CLAIMED
    assert list(task.candidates.all()) == [people.head2]
    # The former holder, acting from the page loaded before, is told who gave the step to whom.
    with pytest.raises(Conflict, match="流程管理员 padmin 改派给 head2"):
        services.task_complete(actor=people.head, task=stale, form_data=APPROVE)
    assert instance.title not in client_for(people.head).get("/workflow/inbox/").content.decode()
    [text] = OutboundMessage.objects.filter(
        phone_masked=mask_phone("13811110001"), purpose="workflow.reassigned"
    )
    assert "部门负责人审批" in text.body and "改派给 head2" in text.body

    complete(instance, "head", people.head2, APPROVE)
    assert steps(instance) == ["report"]  # approved: back to the applicant to report back

    row = TaskHistory.objects.get(instance=instance, action=HistoryAction.REASSIGN)
    assert row.actor == admin and row.opinion == "李主任病假"
    assert row.detail["to"] == "head2" and row.detail["from_users"] == ["head"]
    event = AuditEvent.objects.get(event_name="workflow.task.reassigned")
    assert event.actor == admin and event.message == "李主任病假"
    page = client_for(admin).get(f"/workflow/instances/{instance.pk}/").content.decode()
    assert "改派" in page and "原办理人：李主任" in page


def test_an_unclaimed_group_step_becomes_one_persons_from_the_instance_page(leave, people, admin):
    instance = start_leave(people)
    task = task_for(instance, "head")
    web = client_for(admin)
    page = web.get(f"/workflow/instances/{instance.pk}/").content.decode()
    assert 'data-testid="reassign-form"' in page
    assert 'value="office1"' in page and 'value="applicant"' not in page.split("reassign-choices")[1]

    response = web.post(
        f"/workflow/instances/{instance.pk}/reassign/",
        {"task": task.pk, "to_user": "office1", "reason": "两位负责人都在外学习"},
        follow=True,
    )
    assert "已改派：“部门负责人审批”交由 office1 办理。" in response.content.decode()
    task.refresh_from_db()
    assert task.assignee == people.office1 and list(task.candidates.all()) == [people.office1]
    # A former candidate who still has the old page open is told where it went.
    refused = client_for(people.head).post(
        f"/workflow/tasks/{task.pk}/complete/", {"form_data": '{"outcome": "approve"}'}, follow=True
    )
    assert "改派给 office1" in refused.content.decode()
    # Following an old link to the step (the new-task SMS, the history) says the same, not 404.
    opened = client_for(people.head).get(f"/workflow/tasks/{task.pk}/", follow=True)
    assert opened.status_code == 200 and "改派给 office1" in opened.content.decode()
    assert client_for(people.outsider).get(f"/workflow/tasks/{task.pk}/").status_code == 404

    complete(instance, "head", people.office1, APPROVE)
    assert steps(instance) == ["report"]  # approved: back to the applicant to report back


def test_a_step_that_changed_hands_since_the_page_was_loaded_is_not_reassigned(leave, people, admin):
    """The page names the step's holder; if someone else takes it meanwhile, the administrator's 改派 from
    that page is refused instead of overriding a change they never saw."""
    instance = start_leave(people)
    task = task_for(instance, "head")
    web = client_for(admin)
    page = web.get(f"/workflow/instances/{instance.pk}/").content.decode()
    shown = f'value="{task.pk}:{task.version}"'
    assert shown in page
    services.task_claim(actor=people.head2, task=task)  # back from leave, the colleague takes it up

    response = web.post(
        f"/workflow/instances/{instance.pk}/reassign/",
        {"task": f"{task.pk}:{task.version}", "to_user": "office1", "reason": "两位负责人都在外学习"},
        follow=True,
    )
    assert "该环节的办理人已有变化，请刷新后重试。" in response.content.decode()
    task.refresh_from_db()
    assert task.assignee == people.head2
    assert not TaskHistory.objects.filter(action=HistoryAction.REASSIGN).exists()


def test_only_an_administrator_may_reassign_and_nothing_changes_otherwise(leave, people, admin):
    instance, task = claimed_head_step(people)
    for actor in (people.head2, people.supervisor):
        with pytest.raises(PermissionDenied):
            services.task_reassign(actor=actor, task=task, to_user="head2", reason="x")
    elsewhere = _user(people.tree.subdistrict_b, "padmin_b", role("process-admin"))
    with pytest.raises(OutOfScope):  # an administrator of another sub-district's processes
        services.task_reassign(actor=elsewhere, task=task, to_user="head2", reason="x")
    page = client_for(people.supervisor).get(f"/workflow/instances/{instance.pk}/").content.decode()
    assert 'data-testid="reassign-form"' not in page
    response = client_for(people.supervisor).post(
        f"/workflow/instances/{instance.pk}/reassign/", {"task": task.pk, "to_user": "head2", "reason": "x"}
    )
    # refused; a leave request is confidential (仅经办人可见), so the supervisor does not even find it
    assert response.status_code in (403, 404)
    task.refresh_from_db()
    assert task.assignee == people.head and task.version == 2
    assert not TaskHistory.objects.filter(action=HistoryAction.REASSIGN).exists()


def test_who_the_step_may_go_to(leave, people, admin):
    instance, task = claimed_head_step(people)
    with pytest.raises(ValidationFailed, match="无权查看本流程"):
        services.task_reassign(actor=admin, task=task, to_user="outsider", reason="x")
    with pytest.raises(ValidationFailed, match="不能转给发起人"):
        services.task_reassign(actor=admin, task=task, to_user="applicant", reason="x")
    with pytest.raises(ValidationFailed, match="无需改派"):
        services.task_reassign(actor=admin, task=task, to_user="head", reason="x")
    with pytest.raises(ValidationFailed, match="改派原因"):
        services.task_reassign(actor=admin, task=task, to_user="head2", reason=" ")
    response = client_for(admin).post(
        f"/workflow/instances/{instance.pk}/reassign/",
        {"task": task.pk, "to_user": "outsider", "reason": "x"},
        follow=True,
    )
    assert "该用户无权查看本流程" in response.content.decode()
    # The administrator may take the step over themselves.
    services.task_reassign(actor=admin, task=task, to_user=admin, reason="我来办")
    complete(instance, "head", admin, APPROVE)
    assert steps(instance) == ["report"]  # approved: back to the applicant to report back


def test_a_step_no_longer_open_or_a_suspended_process_is_refused(leave, people, admin):
    instance, task = claimed_head_step(people)
    services.process_suspend(actor=admin, instance=instance, reason="待核实")
    with pytest.raises(Conflict, match="流程已挂起"):
        services.task_reassign(actor=admin, task=task, to_user="head2", reason="x")
    services.process_resume(actor=admin, instance=instance)
    complete(instance, "head", people.head, APPROVE)
    with pytest.raises(Conflict, match="已办理或已取消"):
        services.task_reassign(actor=admin, task=task, to_user="head2", reason="x")


def test_api(leave, people, admin):
    instance, task = claimed_head_step(people)
    url = f"/api/v1/process-instances/{instance.pk}/reassign/"
    body = {"task": task.pk, "to_user": "head2", "reason": "病假", "version": task.version}

    refused = api_client_for(people.supervisor).post(url, body, format="json")
    assert refused.status_code == 403
    stale = api_client_for(admin).post(url, {**body, "version": task.version - 1}, format="json")
    assert stale.status_code == 409
    other = start_leave(people, applicant=people.applicant2)
    unknown = api_client_for(admin).post(url, {**body, "task": task_for(other, "head").pk}, format="json")
    assert unknown.status_code == 400 and unknown.json()["errors"]["task"]
    outside = api_client_for(admin).post(url, {**body, "to_user": "outsider"}, format="json")
    assert outside.status_code == 400 and "无权查看" in outside.json()["errors"]["to_user"][0]

    done = api_client_for(admin).post(url, body, format="json")
    assert done.status_code == 200 and done.json()["assignee"]["username"] == "head2"
    history = api_client_for(admin).get(f"/api/v1/process-instances/{instance.pk}/").json()["history"]
    assert [entry["action_display"] for entry in history if entry["action"] == "reassign"] == ["改派"]
    assert WorkTask.objects.get(pk=task.pk).assignee == people.head2


@pytest.mark.django_db(transaction=True)
def test_the_holder_completes_while_an_administrator_reassigns(leave, people, admin):
    require_postgresql()
    for runner, order in both_orders("complete", "reassign"):
        instance, task = claimed_head_step(people)
        calls = {
            "complete": partial(
                services.task_complete,
                actor=people.head,
                task=WorkTask.objects.get(pk=task.pk),
                form_data=APPROVE,
            ),
            "reassign": partial(
                services.task_reassign,
                actor=admin,
                task=WorkTask.objects.get(pk=task.pk),
                to_user=people.head2,
                reason="病假",
            ),
        }
        results = run(runner, order, calls)
        won = winner(results)
        if runner is one_during_the_other:
            assert won == order[0]
        task.refresh_from_db()
        if won == "complete":
            assert results["reassign"] == ("refused", "该环节已办理或已取消，不能改派，请刷新后查看。")
            assert task.completed_by == people.head and steps(instance) == ["report"]
        else:
            assert results["complete"] == (
                "refused",
                "该任务已由流程管理员 padmin 改派给 head2，请刷新待办。",
            )
            assert task.assignee == people.head2 and steps(instance) == ["head"]
    assert_chain_verifies()
