import datetime as dt
import threading

import pytest
from django.db import connection

from jiedao.audit.models import AuditEvent
from jiedao.audit.services import verify_chain
from jiedao.core.exceptions import Conflict, PermissionDenied, ServiceError, ValidationFailed
from jiedao.timelimits.models import Clock
from jiedao.workcalendar.services import CHINA_TZ
from jiedao.workflow import bpmn, services
from jiedao.workflow.choices import HistoryAction, InstanceStatus, TaskStatus
from jiedao.workflow.models import ProcessInstance, TaskHistory, WorkTask
from jiedao.workflow.tests import processes
from jiedao.workflow.tests.builder import Bpmn
from jiedao.workflow.tests.conftest import at
from jiedao.workflow.tests.processes import complete, start_leave, steps, task_for

APPROVE = {"outcome": "approve"}
REJECT = {"outcome": "reject"}
REPORT = {"back_date": "2026-10-15", "actual_days": 2}


class TestLeave:
    def test_up_to_three_days_skips_the_subdistrict_leader(self, leave, people):
        instance = start_leave(people, days=3)
        assert steps(instance) == ["head"]
        assert instance.current_step_names == "部门负责人审批"
        complete(instance, "head", people.head, APPROVE, opinion="同意")
        assert steps(instance) == ["report"]
        assert not WorkTask.objects.filter(element_id="leader").exists()
        complete(instance, "report", people.applicant, REPORT)
        assert instance.status == InstanceStatus.COMPLETED and instance.ended_at is not None
        assert instance.current_step_names == ""

    def test_above_three_days_goes_to_the_subdistrict_leader(self, leave, people):
        instance = start_leave(people, days=3.5)
        complete(instance, "head", people.head, APPROVE)
        leader_task = task_for(instance, "leader")
        assert leader_task.assignee == people.leader  # the only holder at the applicant's sub-district
        complete(instance, "leader", people.leader, APPROVE)
        assert steps(instance) == ["report"]

    def test_rejection_ends_the_request(self, leave, people):
        instance = start_leave(people, days=5)
        complete(instance, "head", people.head, REJECT, opinion="工作繁忙，暂不批准")
        assert instance.status == InstanceStatus.COMPLETED and steps(instance) == []
        assert instance.data["outcome"] == "reject"

    def test_the_first_step_is_the_applicants_and_candidates_share_the_approval(self, leave, people):
        instance = services.process_start(
            actor=people.applicant, definition_key="leave", org=people.applicant.org
        )
        apply_task = task_for(instance, "apply")
        assert apply_task.assignee == people.applicant and apply_task.status == TaskStatus.CLAIMED
        complete(instance, "apply", people.applicant, processes.LEAVE)
        head = task_for(instance, "head")
        assert head.status == TaskStatus.READY and set(head.candidates.all()) == {people.head, people.head2}
        assert instance.data["days"] == 2 and instance.data["initiator"] == "applicant"


class TestForms:
    def test_bad_form_data_gives_chinese_field_errors_and_nothing_advances(self, leave, people):
        instance = services.process_start(
            actor=people.applicant, definition_key="leave", org=people.applicant.org
        )
        state = ProcessInstance.objects.get(pk=instance.pk).state
        task = task_for(instance, "apply")
        bad = {"leave_type": "holiday", "start_date": "2026-13-01", "days": "很多", "reason": ""}
        with pytest.raises(ValidationFailed) as error:
            services.task_complete(actor=people.applicant, task=task, form_data=bad)
        assert error.value.errors == {
            "leave_type": ["「请假类型」的取值不在可选范围内。"],
            "start_date": ["「开始日期」应为有效的日期（YYYY-MM-DD）。"],
            "days": ["「请假天数」应为数字。"],
            "reason": ["「请假事由」为必填项。"],
        }
        with pytest.raises(ValidationFailed) as error:
            services.task_complete(
                actor=people.applicant, task=task, form_data={**processes.LEAVE, "days": 100}
            )
        assert error.value.errors == {"days": ["「请假天数」不能大于 60。"]}
        task.refresh_from_db()
        assert task.status == TaskStatus.CLAIMED and steps(instance) == ["apply"]
        assert ProcessInstance.objects.get(pk=instance.pk).state == state

    def test_unknown_and_extra_fields_are_dropped(self, leave, people):
        instance = services.process_start(
            actor=people.applicant, definition_key="leave", org=people.applicant.org
        )
        complete(
            instance, "apply", people.applicant, {**processes.LEAVE, "outcome": "approve", "admin": True}
        )
        assert "admin" not in instance.data and "outcome" not in instance.data


class TestWhoMayAct:
    def test_someone_elses_task_is_refused(self, leave, people):
        instance = start_leave(people)
        task = task_for(instance, "head")
        for intruder in (people.applicant, people.leader, people.outsider):
            with pytest.raises(PermissionDenied) as error:
                services.task_complete(actor=intruder, task=task, form_data=APPROVE)
            assert str(error.value.message) == "您不是该任务的办理人。"
        assert steps(instance) == ["head"]

    def test_claimed_task_is_the_claimers(self, leave, people):
        instance = start_leave(people)
        task = task_for(instance, "head")
        claimed = services.task_claim(actor=people.head, task=task)
        with pytest.raises(Conflict) as error:
            services.task_complete(actor=people.head2, task=claimed, form_data=APPROVE)
        assert "该任务已由 李主任 认领办理" in str(error.value.message)
        services.task_unclaim(actor=people.head, task=claimed)
        task.refresh_from_db()
        services.task_complete(actor=people.head2, task=task, form_data=APPROVE)
        assert steps(instance) == ["report"]

    def test_stale_completion_gets_who_did_it(self, leave, people):
        instance = start_leave(people)
        seen_by_head = task_for(instance, "head")
        seen_by_head2 = WorkTask.objects.get(pk=seen_by_head.pk)  # both pages loaded the same version
        services.task_complete(actor=people.head, task=seen_by_head, form_data=APPROVE)
        with pytest.raises(Conflict) as error:
            services.task_complete(actor=people.head2, task=seen_by_head2, form_data=APPROVE)
        assert str(error.value.message) == "该任务已由 李主任 办理。"
        assert WorkTask.objects.filter(element_id="report").count() == 1

    def test_a_stale_version_is_refused(self, leave, people):
        instance = start_leave(people)
        task = task_for(instance, "head")
        stale = WorkTask.objects.get(pk=task.pk)
        services.task_claim(actor=people.head, task=task)
        services.task_unclaim(actor=people.head, task=WorkTask.objects.get(pk=task.pk))
        with pytest.raises(Conflict) as error:
            services.task_complete(actor=people.head2, task=stale, form_data=APPROVE)
        assert "请刷新后重试" in str(error.value.message)


@pytest.mark.django_db(transaction=True)
def test_concurrent_completion_has_one_winner(leave, people):
    if connection.vendor != "postgresql":
        pytest.skip("threads need a shared database (PostgreSQL); SQLite is covered by the sequential tests")
    instance = start_leave(people)
    task = task_for(instance, "head")
    barrier = threading.Barrier(2)
    results = {}

    def attempt(user):
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            services.task_complete(actor=user, task=WorkTask.objects.get(pk=task.pk), form_data=APPROVE)
            results[user.username] = "ok"
        except Conflict as error:
            results[user.username] = str(error.message)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=attempt, args=(u,)) for u in (people.head, people.head2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results.values())[0] == "ok" and list(results.values()).count("ok") == 1
    loser = next(v for v in results.values() if v != "ok")
    assert loser.startswith("该任务已由 ") and loser.endswith(" 办理。")
    assert WorkTask.objects.filter(element_id="report").count() == 1
    assert TaskHistory.objects.filter(action=HistoryAction.COMPLETE, element_id="head").count() == 1


class TestParallel:
    def test_waits_for_all_three_departments(self, people):
        processes.deploy(people, "joint_review")
        instance = services.process_start(
            actor=people.applicant,
            definition_key="joint_review",
            org=people.applicant.org,
            data={"title": "老旧小区改造", "summary": "加装电梯"},
        )
        assert sorted(steps(instance)) == ["review_business", "review_office", "review_supervision"]
        complete(instance, "review_office", people.office2, APPROVE)
        complete(instance, "review_business", people.head, APPROVE)
        assert steps(instance) == ["review_supervision"]
        assert not WorkTask.objects.filter(element_id="leader").exists()
        complete(instance, "review_supervision", people.supervisor, REJECT)
        assert steps(instance) == ["leader"]
        complete(instance, "leader", people.leader, APPROVE)
        assert instance.status == InstanceStatus.COMPLETED

    def test_the_leader_returns_to_any_department_and_only_that_one_reviews_again(self, people):
        processes.deploy(people, "joint_review")
        instance = services.process_start(
            actor=people.applicant,
            definition_key="joint_review",
            org=people.applicant.org,
            data={"title": "老旧小区改造", "summary": "加装电梯"},
        )
        complete(instance, "review_office", people.office2, APPROVE)
        complete(instance, "review_business", people.head, APPROVE)
        complete(instance, "review_supervision", people.supervisor, APPROVE)
        leader_task = task_for(instance, "leader")
        assert {element for element, _name in services.return_targets(leader_task)} == {
            "review_office",
            "review_business",
            "review_supervision",
        }
        services.task_return(
            actor=people.leader, task=leader_task, reason="请补充资金来源", to_element="review_office"
        )
        assert steps(instance) == ["review_office"]  # the leader's task waits for the department again
        complete(instance, "review_office", people.office2, APPROVE)
        assert steps(instance) == ["leader"]
        complete(instance, "leader", people.leader, APPROVE)
        instance.refresh_from_db()
        assert instance.status == InstanceStatus.COMPLETED

    def test_start_form_is_validated(self, people):
        processes.deploy(people, "joint_review")
        with pytest.raises(ValidationFailed) as error:
            services.process_start(
                actor=people.applicant,
                definition_key="joint_review",
                org=people.applicant.org,
                data={"title": ""},
            )
        assert set(error.value.errors) == {"title", "summary"}
        assert not ProcessInstance.objects.exists()


def countersign(people, rule):
    xml, forms = processes.shipped("countersign")
    xml = xml.replace('jiedao:completion="all"', f'jiedao:completion="{rule}"').replace(
        "orgrole:office-staff@subdistrict, orgrole:approver@subdistrict, orgrole:supervisor@subdistrict",
        "orgrole:office-staff@subdistrict",
    )
    processes.deploy(people, "countersign", xml=xml, forms=forms)
    instance = services.process_start(
        actor=people.applicant,
        definition_key="countersign",
        org=people.applicant.org,
        data={"title": "年度预算", "content": "请会签"},
    )
    signers = [t.assignee for t in processes.open_tasks(instance, "sign")]
    assert signers == [people.office1, people.office2, people.office3]
    return instance


class TestCountersign:
    def test_all_must_approve(self, people):
        instance = countersign(people, "all")
        complete(instance, "sign", people.office1, APPROVE)
        complete(instance, "sign", people.office2, APPROVE)
        assert steps(instance) == ["sign"] and instance.status == InstanceStatus.RUNNING
        complete(instance, "sign", people.office3, APPROVE)
        assert instance.status == InstanceStatus.COMPLETED and instance.data["outcome"] == "approve"
        assert instance.data["sign_votes"] == {
            "office1": "approve",
            "office2": "approve",
            "office3": "approve",
        }
        assert instance.copies.get().recipient == people.applicant  # the service task copied the initiator

    def test_all_one_rejection_decides(self, people):
        instance = countersign(people, "all")
        complete(instance, "sign", people.office2, REJECT)
        assert instance.status == InstanceStatus.COMPLETED and instance.data["outcome"] == "reject"
        cancelled = WorkTask.objects.filter(element_id="sign", status=TaskStatus.CANCELLED)
        assert {t.assignee for t in cancelled} == {people.office1, people.office3}
        # not the approval path's copy: only the notice to the initiator of how it ended
        assert [c.note for c in instance.copies.all()] == ["流程已办结：会签未通过"]

    def test_any_one_approval_suffices(self, people):
        instance = countersign(people, "any")
        complete(instance, "sign", people.office1, REJECT)
        assert steps(instance) == ["sign", "sign"]
        complete(instance, "sign", people.office3, APPROVE)
        assert instance.status == InstanceStatus.COMPLETED and instance.data["outcome"] == "approve"

    def test_a_proportion(self, people):
        instance = countersign(people, "0.6")  # 2 of 3
        complete(instance, "sign", people.office1, APPROVE)
        complete(instance, "sign", people.office2, REJECT)
        assert instance.status == InstanceStatus.RUNNING
        complete(instance, "sign", people.office3, APPROVE)
        assert instance.data["outcome"] == "approve"

    def test_a_proportion_out_of_reach_rejects_early(self, people):
        instance = countersign(people, "60%")
        complete(instance, "sign", people.office1, REJECT)
        complete(instance, "sign", people.office2, REJECT)
        assert instance.status == InstanceStatus.COMPLETED and instance.data["outcome"] == "reject"


class TestReturnWithdrawTransfer:
    def test_return_to_the_applicant_with_a_reason(self, leave, people):
        instance = start_leave(people, days=5)
        head = task_for(instance, "head")
        assert services.return_targets(head) == [("apply", "填写请假申请")]
        with pytest.raises(ValidationFailed) as error:
            services.task_return(actor=people.head, task=head, reason=" ")
        assert error.value.errors == {"reason": ["请填写退回原因。"]}
        services.task_return(actor=people.head, task=head, reason="请补充病历")
        instance.refresh_from_db()
        assert steps(instance) == ["apply"]
        assert instance.data["days"] == 5  # what the applicant wrote is kept for editing
        head.refresh_from_db()
        assert (
            head.status == TaskStatus.COMPLETED and head.outcome == "return" and head.opinion == "请补充病历"
        )
        entry = TaskHistory.objects.get(action=HistoryAction.RETURN)
        assert (entry.actor, entry.opinion, entry.detail["to"]) == (people.head, "请补充病历", "apply")
        complete(instance, "apply", people.applicant, {**processes.LEAVE, "days": 2})
        complete(instance, "head", people.head, APPROVE)
        assert steps(instance) == ["report"]

    def test_return_to_a_named_earlier_step(self, leave, people):
        instance = start_leave(people, days=5)
        complete(instance, "head", people.head, APPROVE)
        leader = task_for(instance, "leader")
        assert [t[0] for t in services.return_targets(leader)] == ["head", "apply"]
        services.task_return(actor=people.leader, task=leader, reason="天数过多", to_element="apply")
        instance.refresh_from_db()
        assert steps(instance) == ["apply"]
        with pytest.raises(ValidationFailed):
            services.task_return(actor=people.applicant, task=task_for(instance, "apply"), reason="x")

    def test_withdraw_before_the_next_step_acts(self, leave, people):
        instance = start_leave(people)
        assert services.can_withdraw(instance, people.applicant)
        assert not services.can_withdraw(instance, people.head)
        with pytest.raises(PermissionDenied):
            services.process_withdraw(actor=people.head, instance=instance)
        services.process_withdraw(actor=people.applicant, instance=instance)
        instance.refresh_from_db()
        assert steps(instance) == ["apply"] and instance.status == InstanceStatus.RUNNING
        assert WorkTask.objects.get(element_id="head").status == TaskStatus.CANCELLED
        complete(instance, "apply", people.applicant, processes.LEAVE)
        services.task_claim(actor=people.head, task=task_for(instance, "head"))
        with pytest.raises(Conflict) as error:
            services.process_withdraw(actor=people.applicant, instance=instance)
        assert str(error.value.message) == "下一环节已有人办理，不能撤回。"

    def test_withdraw_without_an_own_step_cancels(self, people):
        processes.deploy(people, "joint_review")
        instance = services.process_start(
            actor=people.applicant,
            definition_key="joint_review",
            org=people.applicant.org,
            data={"title": "甲", "summary": "乙"},
        )
        assert not services.can_withdraw(instance, people.applicant)  # no step of theirs to go back to
        with pytest.raises(Conflict):
            services.process_withdraw(actor=people.applicant, instance=instance)
        assert services.can_revoke(instance, people.applicant)
        services.process_revoke(actor=people.applicant, instance=instance)
        instance.refresh_from_db()
        assert instance.status == InstanceStatus.CANCELLED and steps(instance) == []
        with pytest.raises(Conflict):
            services.process_revoke(actor=people.applicant, instance=instance)

    def test_transfer(self, leave, people):
        instance = start_leave(people)
        task = task_for(instance, "head")
        with pytest.raises(ValidationFailed):
            services.task_transfer(actor=people.head, task=task, to_user=people.leader, reason="")
        services.task_transfer(
            actor=people.head, task=task, to_user=people.office1, reason="出差，请代为审批"
        )
        task.refresh_from_db()
        assert task.assignee == people.office1 and list(task.candidates.all()) == [people.office1]
        with pytest.raises(PermissionDenied):
            services.task_complete(actor=people.head, task=task, form_data=APPROVE)
        services.task_complete(actor=people.office1, task=task, form_data=APPROVE)
        assert steps(instance) == ["report"]
        entry = TaskHistory.objects.get(action=HistoryAction.TRANSFER)
        assert entry.detail["to"] == "office1" and entry.opinion == "出差，请代为审批"

    def test_a_task_cannot_be_handed_to_someone_outside_the_instance_scope(self, leave, people):
        instance = start_leave(people)
        task = task_for(instance, "head")
        for service in (services.task_transfer, services.task_delegate):
            with pytest.raises(ValidationFailed) as error:
                service(actor=people.head, task=task, to_user=people.outsider, reason="转给别的街道")
            assert "不在其管辖范围内" in error.value.errors["to_user"][0]
        task.refresh_from_db()
        assert task.assignee is None and not task.candidates.filter(pk=people.outsider.pk).exists()
        assert not TaskHistory.objects.filter(action=HistoryAction.TRANSFER).exists()

    def test_delegate_comes_back_to_the_owner(self, leave, people):
        instance = start_leave(people)
        task = services.task_claim(actor=people.head, task=task_for(instance, "head"))
        services.task_delegate(actor=people.head, task=task, to_user=people.office1, reason="请先核实")
        task.refresh_from_db()
        services.task_complete(actor=people.office1, task=task, form_data=APPROVE, opinion="已核实")
        task.refresh_from_db()
        assert (
            task.assignee == people.head and task.status == TaskStatus.CLAIMED and steps(instance) == ["head"]
        )
        services.task_complete(actor=people.head, task=task, form_data=APPROVE)
        assert steps(instance) == ["report"]


class TestSuspension:
    def test_a_suspended_instance_cannot_be_handled_and_its_time_limits_pause(self, leave, people, clock):
        instance = start_leave(people, days=4)
        task = task_for(instance, "head")
        due = task.due_at
        with pytest.raises(ValidationFailed):
            services.process_suspend(actor=people.head, instance=instance, reason="", by_owner=True)
        with pytest.raises(PermissionDenied):
            services.process_suspend(actor=people.head, instance=instance, reason="等待核查")
        services.process_suspend(actor=people.head, instance=instance, reason="等待现场核查", by_owner=True)
        with pytest.raises(Conflict) as error:
            services.task_complete(actor=people.head, task=task, form_data=APPROVE)
        assert error.value.message == "流程已挂起（等待现场核查），恢复后才能办理。"
        with pytest.raises(Conflict):
            services.task_claim(actor=people.head, task=task)
        clock.advance(days=7)  # Monday to Monday: five working days suspended
        services.process_resume(actor=people.head, instance=instance, by_owner=True)
        task.refresh_from_db()
        # the five working days suspended do not count: due on 24 September, now five working days later,
        # across the National Day holiday
        assert (due.astimezone(CHINA_TZ).date(), task.due_at.astimezone(CHINA_TZ).date()) == (
            dt.date(2026, 9, 24),
            dt.date(2026, 10, 8),
        )
        services.task_complete(actor=people.head, task=task, form_data=APPROVE)
        assert steps(instance) == ["leader"]
        opinions = list(instance.history.values_list("opinion", flat=True))
        assert "流程挂起：等待现场核查" in opinions and "流程恢复办理。" in opinions


class TestDurability:
    def test_an_instance_survives_a_restart(self, leave, people):
        instance = start_leave(people, days=4)
        bpmn.clear_cache()  # a fresh process: nothing in memory
        fresh = ProcessInstance.objects.get(pk=instance.pk)
        task = WorkTask.objects.get(instance=fresh, element_id="head")
        services.task_complete(actor=people.head, task=task, form_data=APPROVE)
        assert steps(fresh) == ["leader"]

    def test_a_failing_step_leaves_the_last_completed_step(self, people):
        xml = (
            Bpmn("broken", "条件缺变量")
            .start(form="apply")
            .user("a", "审核", groups="role:approver")
            .gateway("gw", default="f2")
            .end()
            .chain("start", "a", "gw")
            .flow("gw", "end", "missing > 1", flow_id="f1")
            .flow("gw", "end", flow_id="f2")
            .xml()
        )
        # "missing" is an optional field of the start form, left empty
        processes.deploy(people, "broken", xml=xml, forms={"apply": processes.form_of(missing="number")})
        instance = services.process_start(
            actor=people.applicant, definition_key="broken", org=people.applicant.org
        )
        state = ProcessInstance.objects.get(pk=instance.pk).state
        task = task_for(instance, "a")
        with pytest.raises(ServiceError) as error:
            services.task_complete(actor=people.head, task=task, form_data={})
        assert "流程变量「missing」不存在" in str(error.value.message)
        task.refresh_from_db()
        assert task.status == TaskStatus.READY
        assert ProcessInstance.objects.get(pk=instance.pk).state == state
        assert not TaskHistory.objects.filter(action=HistoryAction.COMPLETE).exists()


class TestDueDatesAndAudit:
    def test_task_due_date_runs_on_a_working_day_clock(self, leave, people, clock):
        clock.set(2026, 9, 30, 10)
        instance = start_leave(people)
        task = task_for(instance, "head")
        # 3 working days after Sep 30: Oct 8, 9 and 10 (the make-up Saturday).
        assert (
            task.due_at
            == task.clock.due_at
            == at(2026, 10, 10, 0, 0).replace(hour=23, minute=59, second=59, microsecond=999999)
        )
        assert (task.clock.kind, task.clock.rule, task.clock.limit) == ("workflow.task", "working_days", 3)
        clock.set(2026, 10, 9, 15)
        services.task_complete(actor=people.head, task=task, form_data=APPROVE)
        stopped = Clock.objects.get(pk=task.clock_id)
        assert stopped.status == "stopped" and not stopped.overdue_at_stop

    def test_every_action_is_audited(self, leave, people):
        instance = start_leave(people, days=5)
        head = task_for(instance, "head")
        services.task_claim(actor=people.head, task=head)
        services.task_return(actor=people.head, task=WorkTask.objects.get(pk=head.pk), reason="补充")
        complete(instance, "apply", people.applicant, processes.LEAVE)
        services.task_transfer(
            actor=people.head, task=task_for(instance, "head"), to_user=people.head2, reason="代批"
        )
        complete(instance, "head", people.head2, APPROVE)
        complete(instance, "report", people.applicant, REPORT)
        names = set(AuditEvent.objects.values_list("event_name", flat=True))
        assert {
            "workflow.instance.started",
            "workflow.task.claimed",
            "workflow.task.returned",
            "workflow.task.completed",
            "workflow.task.transferred",
            "workflow.instance.completed",
        } <= names
        completed = AuditEvent.objects.filter(event_name="workflow.task.completed", actor=people.head2).get()
        assert (
            completed.org_id == people.tree.community_a1.pk and completed.target_type == "workflow.WorkTask"
        )


class TestInclusiveGateway:
    def deploy(self, people):
        xml = (
            Bpmn("multi", "多部门会办")
            .start(form="apply")
            .gateway("split", "inclusive", default="f_general")
            .user("housing", "住建意见", groups="role:dept-a")
            .user("civil", "民政意见", groups="role:dept-b")
            .user("general", "综合意见", groups="role:dept-c")
            .gateway("join", "inclusive")
            .end()
            .chain("start", "split")
            .flow("split", "housing", "'house' in topics")
            .flow("split", "civil", "'aid' in topics")
            .flow("split", "general", flow_id="f_general")
            .flow("housing", "join")
            .flow("civil", "join")
            .flow("general", "join")
            .chain("join", "end")
            .xml()
        )
        processes.deploy(people, "multi", xml=xml, forms={"apply": processes.form_of(topics="checklist")})

    def test_every_true_branch_runs_and_the_join_waits_for_them(self, people):
        self.deploy(people)
        instance = services.process_start(
            actor=people.applicant,
            definition_key="multi",
            org=people.applicant.org,
            data={"topics": ["house", "aid"]},
        )
        assert sorted(steps(instance)) == ["civil", "housing"]
        complete(instance, "housing", people.dept_a)
        assert steps(instance) == ["civil"] and instance.status == InstanceStatus.RUNNING
        complete(instance, "civil", people.dept_b)
        assert instance.status == InstanceStatus.COMPLETED

    def test_default_branch_when_no_condition_holds(self, people):
        self.deploy(people)
        instance = services.process_start(
            actor=people.applicant,
            definition_key="multi",
            org=people.applicant.org,
            data={"topics": ["other"]},
        )
        assert steps(instance) == ["general"]


def test_intermediate_timer_waits_until_a_date(people, clock):
    xml = (
        Bpmn("wait", "定时公示")
        .start()
        .user("draft", "拟稿", assignee="initiator")
        .end()
        .xml()
        .replace(
            '<bpmn:endEvent id="end"',
            '<bpmn:intermediateCatchEvent id="publicity" name="公示期满"><bpmn:timerEventDefinition>'
            "<bpmn:timeDate>2026-10-09T09:00:00+08:00</bpmn:timeDate></bpmn:timerEventDefinition>"
            '</bpmn:intermediateCatchEvent><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="publicity"/>'
            '<bpmn:sequenceFlow id="f2" sourceRef="publicity" targetRef="draft"/>'
            '<bpmn:sequenceFlow id="f3" sourceRef="draft" targetRef="end"/><bpmn:endEvent id="end"',
        )
    )
    processes.deploy(people, "wait", xml=xml, forms={})
    instance = services.process_start(actor=people.applicant, definition_key="wait", org=people.applicant.org)
    assert steps(instance) == [] and instance.next_timer_at == at(2026, 10, 9, 9)
    services.fire_due_timers(now=at(2026, 10, 9, 9, 1))
    assert steps(instance) == ["draft"]


def test_completion_query_budget(leave, people, django_assert_max_num_queries):
    """Completing a task and advancing stays within a fixed number of queries (issue #4): the workflow's own
    reads and writes are one each (no per-row queries); the time-limit clock and the audit chain add theirs."""
    instance = start_leave(people)
    task = services.task_claim(actor=people.head, task=task_for(instance, "head"))
    with django_assert_max_num_queries(26) as captured:
        services.task_complete(actor=people.head, task=task, form_data=APPROVE, opinion="同意")
    workflow_queries = [q["sql"] for q in captured.captured_queries if '"workflow_' in q["sql"]]
    # lock the instance, read the task, close it, look up running proxies (流程代理) of the next step's
    # handlers, create the next task and its candidate link, read the open rows, write the history row, write
    # the instance.
    assert len(workflow_queries) == 9, workflow_queries
    instance.refresh_from_db()
    assert steps(instance) == ["report"] and instance.current_step_names == "销假"
    assert list(instance.history.values_list("action", flat=True))[-1] == HistoryAction.COMPLETE
    assert verify_chain().ok
