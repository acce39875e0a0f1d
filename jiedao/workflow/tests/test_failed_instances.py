"""运行异常: a transient database error does not kill a process, and an administrator can resume one that failed.

The transient errors are real: another connection holds the row (PostgreSQL, with `lock_timeout` as an operator
sets it) or the table (SQLite's shared cache) the timer sweep must write. The deterministic failures are the
engine's own: a step nobody can take, or a SpiffWorkflow call that raises."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections, transaction
from django.urls import reverse
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import WorkflowException

from jiedao.accounts.models import Role
from jiedao.audit.models import AuditEvent
from jiedao.core.exceptions import Conflict
from jiedao.core.testing import api_client_for, client_for, make_user
from jiedao.workflow import audit_events as events
from jiedao.workflow import services
from jiedao.workflow.choices import HistoryAction, InstanceStatus, TaskStatus
from jiedao.workflow.models import ProcessInstance, TaskHistory, WorkTask
from jiedao.workflow.tests import processes
from jiedao.workflow.tests.conftest import at
from jiedao.workflow.tests.processes import steps, task_for
from jiedao.workflow.tests.racing import require_postgresql

ADMIN_PERMS = ("workflow.view_processinstance", "workflow.change_processinstance")


class HeldTask:
    """Another connection writing the task row in an open transaction, as a request or a job would while the
    sweep runs: the sweep, which must cancel the task when the timer fires, cannot write it."""

    def __init__(self, task: WorkTask):
        self.task_id = task.pk
        self.held, self.release = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._hold)

    def _hold(self):
        try:
            with transaction.atomic():
                WorkTask.objects.filter(pk=self.task_id).update(opinion="")
                self.held.set()
                self.release.wait(timeout=60)
        finally:
            self.held.set()
            connections.close_all()

    def __enter__(self):
        if connection.vendor == "postgresql":
            with (
                connection.cursor() as cursor
            ):  # an operator's setting: wait a moment for a lock, not forever
                cursor.execute("SET lock_timeout = '200ms'")
        self.thread.start()
        self.held.wait(timeout=20)
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.thread.join()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("RESET lock_timeout")


def failures_noted(instance) -> list[str]:
    return list(
        TaskHistory.objects.filter(instance=instance, opinion__startswith="流程运行异常").values_list(
            "opinion", flat=True
        )
    )


@pytest.mark.django_db(transaction=True)
def test_a_locked_row_leaves_the_instance_running_and_a_later_sweep_advances_it(people, clock):
    clock.set(2026, 9, 28, 10)
    instance = processes.start_urgent(people, escalate_after="PT1H")
    due = at(2026, 9, 28, 11, 5)
    with HeldTask(task_for(instance, "handle")):
        run = services.fire_due_timers(now=due)
    instance.refresh_from_db()
    assert instance.status == InstanceStatus.RUNNING and not instance.error
    assert (run.advanced, run.failed, run.retried) == (0, 0, 1)
    assert instance.next_timer_at == at(2026, 9, 28, 11)  # its timer is kept
    assert steps(instance) == ["handle"] and failures_noted(instance) == []
    assert not AuditEvent.objects.filter(event_code=events.INSTANCE_FAILED.code).exists()

    run = services.fire_due_timers(now=at(2026, 9, 28, 11, 6))
    assert (run.advanced, run.failed, run.retried) == (1, 0, 0)
    instance.refresh_from_db()
    assert steps(instance) == ["escalate"] and instance.transient_failures == 0 and instance.retry_at is None
    assert WorkTask.objects.get(instance=instance, element_id="handle").status == TaskStatus.CANCELLED
    assert TaskHistory.objects.filter(instance=instance, detail__timer=True).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_lock_that_never_goes_marks_the_instance_failed_after_the_retries(people, clock):
    # SQLite locks the whole database for a writer: the sweep cannot even note the error, and simply tries
    # again at every sweep (the first test). PostgreSQL locks the row, so the count is written.
    require_postgresql()
    clock.set(2026, 9, 28, 10)
    instance = processes.start_urgent(people, escalate_after="PT1H")
    moment = at(2026, 9, 28, 11, 5)
    with HeldTask(task_for(instance, "handle")):
        for n in range(1, services.MAX_TRANSIENT_FAILURES):
            assert services.fire_due_timers(now=moment).retried == 1
            instance.refresh_from_db()
            assert instance.status == InstanceStatus.RUNNING and instance.transient_failures == n
            assert services.fire_due_timers(now=instance.retry_at - dt.timedelta(seconds=1)).retried == 0
            moment = instance.retry_at
        run = services.fire_due_timers(now=moment)
    assert (run.advanced, run.failed, run.retried) == (0, 1, 0)
    instance.refresh_from_db()
    assert instance.status == InstanceStatus.FAILED
    assert f"连续 {services.MAX_TRANSIENT_FAILURES} 次遇到数据库临时故障" in instance.error
    assert len(failures_noted(instance)) == 1
    # The lock is gone: the administrator resumes it and the timer fires.
    admin = make_user(people.tree.subdistrict_a, *ADMIN_PERMS)
    clock.set(moment)
    services.process_retry(actor=admin, instance=instance)
    instance.refresh_from_db()
    assert instance.status == InstanceStatus.RUNNING and steps(instance) == ["escalate"]


def fail_for_want_of_a_leader(people, clock) -> ProcessInstance:
    """The timer fires, but nobody holds the role of the next step: a deterministic failure."""
    clock.set(2026, 9, 28, 10)
    instance = processes.start_urgent(people, escalate_after="PT1H")
    Role.objects.filter(code="subdistrict-leader").update(is_active=False)
    clock.set(2026, 9, 28, 11, 5)
    run = services.fire_due_timers(now=clock())
    assert (run.advanced, run.failed) == (0, 1)
    instance.refresh_from_db()
    assert instance.status == InstanceStatus.FAILED and "找不到办理人" in instance.error
    return instance


@pytest.fixture
def admin(people):
    return make_user(people.tree.subdistrict_a, *ADMIN_PERMS, username="wfadmin")


def test_an_administrator_finds_and_resumes_a_failed_instance_and_it_goes_on(people, clock, admin):
    instance = fail_for_want_of_a_leader(people, clock)
    with pytest.raises(Conflict, match="运行异常"):
        services.task_complete(actor=people.head, task=task_for(instance, "handle"), form_data={})
    Role.objects.filter(code="subdistrict-leader").update(is_active=True)  # the cause is dealt with
    client = client_for(admin)
    listing = client.get(reverse("workflow:instance_list")).content.decode()
    assert "运行异常 1 件" in listing
    failed = client.get(reverse("workflow:instance_list"), {"status": "failed"}).content.decode()
    assert (
        instance.title in failed
        and "找不到办理人" in failed
        and f'data-testid="retry-{instance.pk}"' in failed
    )
    page = client.get(reverse("workflow:instance_detail", args=[instance.pk])).content.decode()
    assert 'data-testid="retry"' in page and "确定恢复运行该流程吗" in page

    back = reverse("workflow:instance_list") + "?status=failed"
    response = client.post(reverse("workflow:instance_retry", args=[instance.pk]), {"next": back})
    assert response.status_code == 302 and response["Location"] == back
    instance.refresh_from_db()
    assert instance.status == InstanceStatus.RUNNING and not instance.error
    assert steps(instance) == ["escalate"]  # the timer fired and the next step has its handler
    processes.complete(instance, "escalate", people.leader)
    assert instance.status == InstanceStatus.COMPLETED
    note = TaskHistory.objects.get(instance=instance, opinion="管理员恢复运行。")
    assert note.actor == admin and note.action == HistoryAction.AUTO
    audit = AuditEvent.objects.get(event_code=events.INSTANCE_RETRIED.code)
    assert audit.actor_id == admin.pk and audit.success and "找不到办理人" in audit.message
    assert "运行异常" not in client.get(reverse("workflow:instance_list")).content.decode()


def test_resuming_while_the_cause_remains_keeps_it_failed_with_the_new_reason(
    people, clock, admin, monkeypatch
):
    clock.set(2026, 9, 28, 10)
    instance = processes.start_urgent(people, escalate_after="PT1H")

    def broken(workflow):
        raise WorkflowException("timer store unreadable")

    monkeypatch.setattr(BpmnWorkflow, "refresh_timers", broken)
    assert services.fire_due_timers(now=at(2026, 9, 28, 11, 5)).failed == 1
    instance.refresh_from_db()
    assert instance.status == InstanceStatus.FAILED and "timer store unreadable" in instance.error

    def still_broken(workflow):
        raise WorkflowException("timer store still unreadable")

    monkeypatch.setattr(BpmnWorkflow, "refresh_timers", still_broken)
    response = client_for(admin).post(reverse("workflow:instance_retry", args=[instance.pk]), follow=True)
    assert "恢复运行未成功" in response.content.decode()
    instance.refresh_from_db()
    assert instance.status == InstanceStatus.FAILED and "still unreadable" in instance.error
    assert steps(instance) == ["handle"]
    assert TaskHistory.objects.filter(
        instance=instance, actor=admin, opinion__startswith="管理员恢复运行未成功"
    ).exists()
    assert not TaskHistory.objects.filter(instance=instance, opinion="管理员恢复运行。").exists()
    audit = AuditEvent.objects.get(event_code=events.INSTANCE_RETRIED.code)
    assert not audit.success and "still unreadable" in audit.message

    monkeypatch.undo()
    services.process_retry(actor=admin, instance=instance)
    instance.refresh_from_db()
    assert instance.status == InstanceStatus.RUNNING and steps(instance) == ["escalate"]


NOT_FAILED = "流程当前不是“运行异常”状态，无需恢复运行。"


def unchanged(instance) -> tuple:
    """What a refused 恢复运行 must leave as it was: the instance, its tasks, its history and the audit log."""
    instance.refresh_from_db()
    return (
        instance.status,
        instance.error,
        instance.updated_at,
        steps(instance),
        TaskHistory.objects.filter(instance=instance).count(),
        AuditEvent.objects.count(),
    )


def test_resuming_a_running_instance_is_refused_on_the_page_and_changes_nothing(people, clock, admin):
    clock.set(2026, 9, 28, 10)
    instance = processes.start_urgent(people, escalate_after="PT1H")
    before = unchanged(instance)
    client = client_for(admin)
    page = client.get(reverse("workflow:instance_detail", args=[instance.pk])).content.decode()
    assert 'data-testid="retry"' not in page  # nothing to resume: no button
    # (a page opened while the instance was failed, submitted after someone else resumed it)
    response = client.post(reverse("workflow:instance_retry", args=[instance.pk]), follow=True)
    shown = [str(m) for m in response.context["messages"]]
    assert shown == [NOT_FAILED]
    assert response.redirect_chain[-1][0] == reverse("workflow:instance_detail", args=[instance.pk])
    assert unchanged(instance) == before
    assert before[0] == InstanceStatus.RUNNING and before[3] == ["handle"]
    assert not AuditEvent.objects.filter(event_code=events.INSTANCE_RETRIED.code).exists()


def test_resuming_a_running_or_completed_instance_through_the_api_is_refused_and_changes_nothing(
    people, clock, admin
):
    clock.set(2026, 9, 28, 10)
    running = processes.start_urgent(people, escalate_after="PT1H")
    before = unchanged(running)
    api = api_client_for(admin)
    response = api.post(f"/api/v1/process-instances/{running.pk}/retry/")
    assert response.status_code == 409 and response.json()["detail"] == NOT_FAILED
    assert unchanged(running) == before

    processes.complete(running, "handle", people.head)
    assert running.status == InstanceStatus.COMPLETED
    before = unchanged(running)
    response = api.post(f"/api/v1/process-instances/{running.pk}/retry/")
    assert response.status_code == 409 and response.json()["detail"] == NOT_FAILED
    assert unchanged(running) == before
    assert not AuditEvent.objects.filter(event_code=events.INSTANCE_RETRIED.code).exists()


def test_only_an_administrator_of_the_instance_may_resume_it(people, clock, admin):
    instance = fail_for_want_of_a_leader(people, clock)
    Role.objects.filter(code="subdistrict-leader").update(is_active=True)
    url = reverse("workflow:instance_retry", args=[instance.pk])
    # The applicant sees the instance but does not administer processes.
    initiator = client_for(people.applicant)
    assert (
        'data-testid="retry"'
        not in initiator.get(reverse("workflow:instance_detail", args=[instance.pk])).content.decode()
    )
    assert initiator.post(url).status_code == 403
    # An administrator of another sub-district does not see it at all.
    other = make_user(people.tree.subdistrict_b, *ADMIN_PERMS)
    assert client_for(other).post(url).status_code == 404
    assert api_client_for(other).post(f"/api/v1/process-instances/{instance.pk}/retry/").status_code == 404
    assert (
        api_client_for(people.applicant).post(f"/api/v1/process-instances/{instance.pk}/retry/").status_code
        == 403
    )
    instance.refresh_from_db()
    assert instance.status == InstanceStatus.FAILED
    assert not AuditEvent.objects.filter(event_code=events.INSTANCE_RETRIED.code).exists()

    response = api_client_for(admin).post(f"/api/v1/process-instances/{instance.pk}/retry/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "running" and body["error"] == "" and body["current_step_names"] == "领导督办"
    again = api_client_for(admin).post(f"/api/v1/process-instances/{instance.pk}/retry/")
    assert again.status_code == 409 and "无需恢复运行" in again.json()["detail"]
