import datetime as dt

from jiedao.core.schedule import JOBS
from jiedao.workflow import services
from jiedao.workflow.choices import HistoryAction, InstanceStatus, TaskStatus
from jiedao.workflow.models import ProcessInstance, TaskHistory, WorkTask
from jiedao.workflow.tests import processes
from jiedao.workflow.tests.builder import Bpmn
from jiedao.workflow.tests.conftest import at
from jiedao.workflow.tests.processes import start_leave, steps, task_for


def test_the_timer_job_runs_every_minute():
    job = JOBS["workflow.timers"]
    assert job.every == dt.timedelta(minutes=1)
    assert job.task.name.endswith("fire_due_timers")


def test_escalation_after_three_working_days_across_national_day(leave, people, clock):
    clock.set(2026, 9, 30, 10)
    instance = start_leave(people)
    # Oct 1–7 are holidays; the 3rd working day after Sep 30 is Saturday Oct 10 (a make-up workday).
    due = dt.datetime(2026, 10, 10, 23, 59, 59, 999999, tzinfo=at(2026, 1, 1).tzinfo)
    assert ProcessInstance.objects.get(pk=instance.pk).next_timer_at == due
    assert services.fire_due_timers(now=at(2026, 10, 8, 9)).advanced == 0
    assert services.fire_due_timers(now=at(2026, 10, 10, 20)).advanced == 0
    assert not instance.copies.exists()
    clock.set(2026, 10, 11, 0, 30)
    run = services.fire_due_timers(now=clock())
    assert (run.advanced, run.failed) == (1, 0)
    instance.refresh_from_db()
    copy = instance.copies.get()
    assert copy.recipient == people.leader and "超过 3 个工作日" in copy.note
    assert steps(instance) == ["head"]  # non-interrupting: the head still decides
    assert instance.next_timer_at is None
    entry = TaskHistory.objects.get(action=HistoryAction.AUTO, element_id="head_overdue")
    assert "审批超时" in entry.opinion
    assert services.fire_due_timers(now=at(2026, 10, 12)).advanced == 0  # fires once
    processes.complete(instance, "head", people.head, {"outcome": "approve"})
    assert steps(instance) == ["report"]


def test_a_decision_in_time_cancels_the_timer(leave, people, clock):
    clock.set(2026, 9, 30, 10)
    instance = start_leave(people)
    clock.set(2026, 10, 9, 10)
    processes.complete(instance, "head", people.head, {"outcome": "approve"})
    assert instance.next_timer_at is None
    assert services.fire_due_timers(now=at(2026, 10, 20)).advanced == 0
    assert not instance.copies.exists()


def interrupting(people, **timer):
    xml = (
        Bpmn("urgent", "紧急事项")
        .start()
        .user("handle", "经办", groups="role:approver")
        .timer("late", "handle", "超时上报", **timer)
        .user("escalate", "领导督办", groups="role:subdistrict-leader")
        .end()
        .end("end2")
        .chain("start", "handle", "end")
        .chain("late", "escalate", "end2")
        .xml()
    )
    processes.deploy(people, "urgent", xml=xml, forms={})
    return services.process_start(actor=people.applicant, definition_key="urgent", org=people.applicant.org)


def test_interrupting_calendar_day_timer_escalates(people, clock):
    clock.set(2026, 9, 28, 10)
    instance = interrupting(people, duration="P5D")
    assert instance.next_timer_at == at(2026, 10, 3, 10)
    assert services.fire_due_timers(now=at(2026, 10, 3, 9, 59)).advanced == 0
    services.fire_due_timers(now=at(2026, 10, 3, 10, 1))
    instance.refresh_from_db()
    assert steps(instance) == ["escalate"]
    assert WorkTask.objects.get(element_id="handle").status == TaskStatus.CANCELLED
    processes.complete(instance, "escalate", people.leader)
    assert instance.status == InstanceStatus.COMPLETED


def test_hour_timer(people, clock):
    clock.set(2026, 9, 28, 10)
    instance = interrupting(people, duration="PT4H")
    assert instance.next_timer_at == at(2026, 9, 28, 14)


def test_a_failing_timer_step_marks_only_that_instance_failed(people, clock, monkeypatch):
    clock.set(2026, 9, 28, 10)
    broken = interrupting(people, duration="PT1H")
    healthy = services.process_start(
        actor=people.applicant, definition_key="urgent", org=people.applicant.org
    )
    from jiedao.accounts.models import Role

    Role.objects.filter(code="subdistrict-leader").update(is_active=False)  # nobody can take the escalation
    ProcessInstance.objects.filter(pk=healthy.pk).update(next_timer_at=at(2026, 9, 28, 12))
    run = services.fire_due_timers(now=at(2026, 9, 28, 11, 30))
    assert (run.advanced, run.failed) == (0, 1)
    broken.refresh_from_db()
    assert broken.status == InstanceStatus.FAILED and "找不到办理人" in broken.error
    assert ProcessInstance.objects.get(pk=healthy.pk).status == InstanceStatus.RUNNING
    assert task_for(broken, "handle").status in (TaskStatus.READY, TaskStatus.CLAIMED)


def test_an_unnamed_timer_on_a_step_is_named_after_the_step_in_the_history(people, clock):
    """The designer leaves a boundary timer unnamed: the history must not show its generated id."""
    clock.set(2026, 9, 28, 10)
    xml = (
        Bpmn("urgent", "紧急事项")
        .start()
        .user("handle", "经办", groups="role:approver")
        .timer("Event_0oow06t", "handle", duration="PT1H")
        .end()
        .end("end2")
        .chain("start", "handle", "end")
        .chain("Event_0oow06t", "end2")
        .xml()
    )
    processes.deploy(people, "urgent", xml=xml, forms={})
    instance = services.process_start(
        actor=people.applicant, definition_key="urgent", org=people.applicant.org
    )
    services.fire_due_timers(now=at(2026, 9, 28, 11, 1))
    entry = TaskHistory.objects.get(instance=instance, action=HistoryAction.AUTO, element_id="Event_0oow06t")
    assert entry.opinion == "定时事件「经办超时」已触发。" and entry.step_name == "经办超时"
