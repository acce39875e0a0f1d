"""Two people acting on the same process at the same moment, on PostgreSQL with real threads (`racing`).

Whoever takes the instance lock first wins; the other is told in Chinese what happened. Nothing is
half-written, no row is duplicated, no database error escapes, and the audit chain still verifies. Each pair
runs in both orders (the second request arriving while the first is being handled) and once released
together."""

from __future__ import annotations

import json
from functools import partial

import pytest
from django.contrib.contenttypes.models import ContentType

from jiedao.audit.models import AuditEvent
from jiedao.core.testing import client_for
from jiedao.workflow import audit_events as events
from jiedao.workflow import services
from jiedao.workflow.choices import OPEN_TASK_STATUSES, HistoryAction, InstanceStatus, TaskStatus
from jiedao.workflow.models import CarbonCopy, ProcessInstance, TaskHistory, WorkTask
from jiedao.workflow.tests import processes
from jiedao.workflow.tests.builder import Bpmn
from jiedao.workflow.tests.conftest import at
from jiedao.workflow.tests.processes import open_tasks, start_leave, steps, task_for
from jiedao.workflow.tests.racing import (
    assert_chain_verifies,
    at_once,
    both_orders,
    one_during_the_other,
    require_postgresql,
    run,
    winner,
)

pytestmark = pytest.mark.django_db(transaction=True)

APPROVE = {"outcome": "approve"}


@pytest.fixture(autouse=True)
def _postgresql_only():
    require_postgresql()


def fresh(task: WorkTask) -> WorkTask:
    """The task as a page loaded now shows it (with its version)."""
    return WorkTask.objects.get(pk=task.pk)


def test_two_candidates_claim_the_same_task(leave, people):
    names = {"head": "李主任", "head2": "head2"}
    for runner, order in both_orders("head", "head2"):
        task = task_for(start_leave(people), "head")
        calls = {
            "head": partial(services.task_claim, actor=people.head, task=fresh(task)),
            "head2": partial(services.task_claim, actor=people.head2, task=fresh(task)),
        }
        results = run(runner, order, calls)
        won = winner(results)
        if runner is one_during_the_other:
            assert won == order[0]
        lost = "head2" if won == "head" else "head"
        assert results[lost] == ("refused", f"该任务已由 {names[won]} 认领办理。")
        task.refresh_from_db()
        assert task.assignee.username == won and task.status == TaskStatus.CLAIMED
        assert TaskHistory.objects.filter(task=task, action=HistoryAction.CLAIM).count() == 1
    assert_chain_verifies()


def test_one_completes_while_the_other_returns(leave, people):
    for runner, order in both_orders("complete", "send_back"):
        instance = start_leave(people)
        task = task_for(instance, "head")
        calls = {
            "complete": partial(
                services.task_complete, actor=people.head, task=fresh(task), form_data=APPROVE
            ),
            "send_back": partial(
                services.task_return, actor=people.head2, task=fresh(task), reason="请补充事由"
            ),
        }
        results = run(runner, order, calls)
        won = winner(results)
        if runner is one_during_the_other:
            assert won == order[0]
        if won == "complete":
            assert results["send_back"] == ("refused", "该任务已由 李主任 办理。")
            assert steps(instance) == ["report"]
        else:
            # not "已由 head2 办理": the approver is told the request went back, and to whom
            assert results["complete"] == ("refused", "该任务已由 head2 退回到「填写请假申请」。")
            assert steps(instance) == ["apply"]
        assert TaskHistory.objects.filter(task=task, action__in=["complete", "return"]).count() == 1
    assert_chain_verifies()


def test_one_completes_while_the_other_transfers(leave, people):
    for runner, order in both_orders("complete", "transfer"):
        instance = start_leave(people)
        task = task_for(instance, "head")
        calls = {
            "complete": partial(
                services.task_complete, actor=people.head2, task=fresh(task), form_data=APPROVE
            ),
            "transfer": partial(
                services.task_transfer,
                actor=people.head,
                task=fresh(task),
                to_user=people.office1,
                reason="出差",
            ),
        }
        results = run(runner, order, calls)
        won = winner(results)
        if runner is one_during_the_other:
            assert won == order[0]
        task.refresh_from_db()
        if won == "complete":
            assert results["transfer"] == ("refused", "该任务已由 head2 办理。")
            assert task.status == TaskStatus.COMPLETED and steps(instance) == ["report"]
        else:
            # head2 is no longer among the task's people, yet had it open: told where it went, not "无权"
            assert results["complete"] == ("refused", "该任务已由 李主任 转办给 office1，请刷新待办。")
            assert task.assignee == people.office1 and steps(instance) == ["head"]
    assert_chain_verifies()


def test_one_completes_while_the_other_delegates(leave, people):
    for runner, order in both_orders("complete", "delegate"):
        instance = start_leave(people)
        task = task_for(instance, "head")
        calls = {
            "complete": partial(
                services.task_complete, actor=people.head2, task=fresh(task), form_data=APPROVE
            ),
            "delegate": partial(
                services.task_delegate,
                actor=people.head,
                task=fresh(task),
                to_user=people.office1,
                reason="请核实",
            ),
        }
        results = run(runner, order, calls)
        won = winner(results)
        if runner is one_during_the_other:
            assert won == order[0]
        if won == "complete":
            assert results["delegate"] == ("refused", "该任务已由 head2 办理。")
            assert steps(instance) == ["report"]
        else:
            assert results["complete"] == ("refused", "该任务已由 李主任 委派给 office1，请刷新待办。")
            assert fresh(task).assignee == people.office1 and fresh(task).owner == people.head
    assert_chain_verifies()


def test_the_initiator_withdraws_while_the_approver_completes(leave, people):
    for runner, order in both_orders("complete", "withdraw"):
        instance = start_leave(people)
        task = task_for(instance, "head")
        calls = {
            "complete": partial(
                services.task_complete, actor=people.head, task=fresh(task), form_data=APPROVE
            ),
            "withdraw": partial(
                services.process_withdraw,
                actor=people.applicant,
                instance=ProcessInstance.objects.get(pk=instance.pk),
            ),
        }
        results = run(runner, order, calls)
        won = winner(results)
        if runner is one_during_the_other:
            assert won == order[0]
        if won == "complete":
            assert results["withdraw"] == ("refused", "下一环节已有人办理，不能撤回。")
            assert steps(instance) == ["report"]
        else:
            assert results["complete"] == (
                "refused",
                "该任务已取消（流程已向前推进、被退回或被撤回），请刷新待办。",
            )
            assert steps(instance) == ["apply"]
        assert ProcessInstance.objects.get(pk=instance.pk).status == InstanceStatus.RUNNING
    assert_chain_verifies()


def countersign(people, rule: str) -> ProcessInstance:
    xml, forms = processes.shipped("countersign")
    xml = xml.replace('jiedao:completion="all"', f'jiedao:completion="{rule}"').replace(
        "orgrole:office-staff@subdistrict, orgrole:approver@subdistrict, orgrole:supervisor@subdistrict",
        "orgrole:office-staff@subdistrict",
    )
    if not services.resolve_definition("countersign", people.applicant.org):
        processes.deploy(people, "countersign", xml=xml, forms=forms)
    return services.process_start(
        actor=people.applicant,
        definition_key="countersign",
        org=people.applicant.org,
        data={"title": "年度预算", "content": "请会签"},
    )


def vote(user, task, outcome="approve"):
    return lambda: services.task_complete(actor=user, task=task, form_data={"outcome": outcome})


def test_all_signers_vote_at_once_and_the_decision_is_taken_once(people):
    signers = (people.office1, people.office2, people.office3)
    for _round in range(3):
        instance = countersign(people, "all")
        tasks = {t.assignee_id: t for t in open_tasks(instance, "sign")}
        results = at_once(**{u.username: vote(u, tasks[u.pk]) for u in signers})
        assert all(kind == "ok" for kind, _value in results.values()), results
        instance.refresh_from_db()
        assert instance.status == InstanceStatus.COMPLETED and instance.data["outcome"] == "approve"
        assert instance.data["sign_votes"] == {u.username: "approve" for u in signers}
        assert TaskHistory.objects.filter(instance=instance, action=HistoryAction.COMPLETE).count() == 3
        # the step after the countersign ran once: one copy to the initiator, one completion
        assert CarbonCopy.objects.filter(instance=instance).count() == 1
        completed = AuditEvent.objects.filter(
            event_code=events.INSTANCE_COMPLETED.code, target_id=str(instance.pk)
        )
        assert completed.count() == 1
    assert_chain_verifies()


def test_any_one_approval_decides_once_and_the_others_are_told(people):
    signers = (people.office1, people.office2, people.office3)
    for _round in range(3):
        instance = countersign(people, "any")
        tasks = {t.assignee_id: t for t in open_tasks(instance, "sign")}
        results = at_once(**{u.username: vote(u, tasks[u.pk]) for u in signers})
        decided = [name for name, (kind, _v) in results.items() if kind == "ok"]
        assert len(decided) == 1, results
        for name, outcome in results.items():
            if name not in decided:
                assert outcome == ("refused", "流程已结束，不能再办理。")  # the approval ended it
        instance.refresh_from_db()
        assert instance.status == InstanceStatus.COMPLETED and instance.data["sign_votes"] == {
            decided[0]: "approve"
        }
        assert CarbonCopy.objects.filter(instance=instance).count() == 1
    assert_chain_verifies()


def test_the_timer_sweep_fires_while_the_handler_completes(people, clock):
    for runner, order in both_orders("complete", "sweep"):
        clock.set(2026, 9, 28, 10)
        instance = processes.start_urgent(people, escalate_after="PT4H")
        task = task_for(instance, "handle")
        clock.set(2026, 9, 28, 14, 5)  # the four hours ran out five minutes ago
        calls = {
            "complete": partial(services.task_complete, actor=people.head, task=fresh(task), form_data={}),
            "sweep": lambda: services.fire_due_timers(now=at(2026, 9, 28, 14, 5)),
        }
        results = run(runner, order, calls)
        assert results["sweep"][0] == "ok"
        if runner is one_during_the_other:
            assert (results["complete"][0] == "ok") == (order[0] == "complete")
        instance.refresh_from_db()
        assert instance.status != InstanceStatus.FAILED and not instance.error
        if results["complete"][0] == "ok":  # in time after all: the escalation never comes
            assert results["sweep"][1].advanced == 0
            assert instance.status == InstanceStatus.COMPLETED and steps(instance) == []
        else:
            assert results["complete"] == (
                "refused",
                "该任务已取消（流程已向前推进、被退回或被撤回），请刷新待办。",
            )
            assert results["sweep"][1].advanced == 1 and steps(instance) == ["escalate"]
        fired = TaskHistory.objects.filter(instance=instance, detail__timer=True).count()
        assert fired == (0 if results["complete"][0] == "ok" else 1)
    assert_chain_verifies()


def test_two_timer_sweeps_fire_a_timer_once(leave, people, clock):
    clock.set(2026, 9, 30, 10)
    instance = start_leave(people)
    moment = at(2026, 10, 11, 0, 30)
    results = at_once(
        first=lambda: services.fire_due_timers(now=moment),
        second=lambda: services.fire_due_timers(now=moment),
    )
    assert sorted(r[1].advanced for r in results.values()) == [0, 1]
    assert CarbonCopy.objects.filter(instance=instance).count() == 1  # one reminder to the leader
    assert TaskHistory.objects.filter(instance=instance, element_id="head_overdue").count() == 1
    assert_chain_verifies()


def test_two_processes_started_for_the_same_business_object(people):
    """A business record is handled by one running process: a second start (two tabs, two clerks) is
    refused with the one already running named."""
    xml = (
        Bpmn("review", "业务审核")
        .start()
        .user("check", "审核", groups="role:approver")
        .end()
        .chain("start", "check", "end")
        .xml()
    )
    processes.deploy(people, "review", xml=xml, forms={})
    record = people.outsider  # any saved row serves as the business object
    content_type = ContentType.objects.get_for_model(record)

    def start(actor):
        return lambda: services.process_start(
            actor=actor,
            definition_key="review",
            org=people.applicant.org,
            business_object=record,
            title="审核 outsider",
        )

    running = ProcessInstance.objects.filter(content_type=content_type, object_id=str(record.pk))
    for runner, order in both_orders("one", "two"):
        results = run(runner, order, {"one": start(people.applicant), "two": start(people.head)})
        won = winner(results)
        if runner is one_during_the_other:
            assert won == order[0]
        lost = next(value for kind, value in results.values() if kind == "refused")
        assert lost == "该业务已有流程正在办理（审核 outsider），不能重复发起。"
        live = running.get(status=InstanceStatus.RUNNING)
        assert len(open_tasks(live)) == 1 and len(steps_of_all()) == 1
        # once that one has ended (here: cancelled), the record may be processed again
        services.process_cancel(actor=people.deployer, instance=live, reason="重新审核")
    assert running.count() == 3 and not running.filter(status=InstanceStatus.RUNNING).exists()
    assert_chain_verifies()


def steps_of_all():
    return list(WorkTask.objects.filter(status__in=OPEN_TASK_STATUSES))


def test_an_administrator_cancels_while_the_handler_completes(leave, people):
    for runner, order in both_orders("complete", "cancel"):
        instance = start_leave(people)
        task = task_for(instance, "head")
        calls = {
            "complete": partial(
                services.task_complete, actor=people.head, task=fresh(task), form_data=APPROVE
            ),
            "cancel": partial(
                services.process_cancel,
                actor=people.deployer,
                instance=ProcessInstance.objects.get(pk=instance.pk),
                reason="重复申请",
            ),
        }
        results = run(runner, order, calls)
        assert results["cancel"][0] == "ok", results  # the administrator's decision stands either way
        instance.refresh_from_db()
        assert instance.status == InstanceStatus.CANCELLED and steps(instance) == []
        if results["complete"][0] == "ok":  # approved first: the next step left the inbox with the rest
            assert runner is at_once or order[0] == "complete"
            assert WorkTask.objects.get(instance=instance, element_id="report").status == TaskStatus.CANCELLED
        else:
            assert runner is at_once or order[0] == "cancel"
            assert results["complete"] == ("refused", "流程已结束，不能再办理。")
    assert_chain_verifies()


def test_the_page_of_a_step_transferred_meanwhile_says_where_it_went(leave, people):
    """head2 has the step open and approves while head transfers it: whichever the order, head2's page
    answers in words (never a 404 or 403 page) and head2 lands on the inbox."""
    web = client_for(people.head2)
    for order in (("transfer", "page"), ("page", "transfer")):
        instance = start_leave(people)
        task = task_for(instance, "head")
        form = {"form_data": json.dumps(APPROVE), "version": task.version}
        calls = {
            "transfer": partial(
                services.task_transfer,
                actor=people.head,
                task=fresh(task),
                to_user=people.office1,
                reason="出差",
            ),
            "page": partial(web.post, f"/workflow/tasks/{task.pk}/complete/", form, follow=True),
        }
        results = one_during_the_other(**{name: calls[name] for name in order})
        if order[0] == "transfer":
            page = results["page"][1]
            assert page.status_code == 200 and page.redirect_chain[-1][0] == "/workflow/inbox/"
            assert "该任务已由 李主任 转办给 office1，请刷新待办。" in page.content.decode()
            assert WorkTask.objects.get(pk=task.pk).assignee == people.office1
        else:
            assert results["transfer"] == ("refused", "该任务已由 head2 办理。")
            assert steps(instance) == ["report"]
    # a page loaded before the transfer and sent after it
    instance = start_leave(people)
    task = task_for(instance, "head")
    services.task_transfer(actor=people.head, task=fresh(task), to_user=people.office1, reason="出差")
    page = web.post(
        f"/workflow/tasks/{task.pk}/complete/",
        {"form_data": json.dumps(APPROVE), "version": task.version},
        follow=True,
    )
    assert page.redirect_chain[-1][0] == "/workflow/inbox/"
    assert "该任务已不在您的待办中（可能已转办给他人），请查看最新待办。" in page.content.decode()
    assert steps(instance) == ["head"]


def test_the_start_form_sent_twice_starts_once(leave, people):
    """A double click on 发起 (two POSTs of the same form, at the same moment or one after the other): one
    request is started and both land on it; the second says it was already started."""
    web = client_for(people.applicant)
    for runner, order in both_orders("click1", "click2"):
        page = web.get("/workflow/start/leave/").content.decode()
        token = page.split('name="start_token" value="', 1)[1].split('"', 1)[0]
        form = {"form_data": "{}", "title": "", "start_token": token}
        tab2 = client_for(people.applicant)  # a client per thread (the test client is not thread-safe)
        results = run(
            runner,
            order,
            {
                "click1": partial(web.post, "/workflow/start/leave/", form, follow=True),
                "click2": partial(tab2.post, "/workflow/start/leave/", form, follow=True),
            },
        )
        started = ProcessInstance.objects.filter(start_token=token)
        assert started.count() == 1
        answers = [value for _kind, value in results.values()]
        assert {a.redirect_chain[-1][0] for a in answers} == {
            f"/workflow/tasks/{open_tasks(started.get())[0].pk}/"
        }
        told = [a.content.decode() for a in answers]
        assert sum("该申请已发起（" in text and "无需重复提交。" in text for text in told) == 1
    assert ProcessInstance.objects.filter(definition__key="leave").count() == 3
    # a page opened afresh starts a new request
    web.post("/workflow/start/leave/", {"form_data": "{}", "title": ""})
    assert ProcessInstance.objects.filter(definition__key="leave").count() == 4
