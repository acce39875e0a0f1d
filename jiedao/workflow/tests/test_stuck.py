"""A process that can no longer move (a loop of automatic steps, a join that waits for a branch that never
comes) is refused with a Chinese message; nothing is saved, and never reported as completed."""

import pytest

from jiedao.audit.models import AuditEvent
from jiedao.core.exceptions import ServiceError
from jiedao.workflow import services
from jiedao.workflow.models import ProcessInstance
from jiedao.workflow.tests import processes
from jiedao.workflow.tests.builder import Bpmn


def test_a_loop_of_automatic_steps_is_stopped_and_nothing_is_saved(people):
    xml = (
        Bpmn("spin", "空转")
        .start()
        .service("bump", "自动赋值", action="workflow.set_variable", name="x", value="1")
        .gateway("again", name="是否完成", default="f_back")
        .end()
        .chain("start", "bump", "again")
        .flow("again", "end", "x == 2")
        .flow("again", "bump", flow_id="f_back")
        .xml()
    )
    processes.deploy(people, "spin", xml=xml, forms={})
    with pytest.raises(ServiceError) as error:
        services.process_start(actor=people.applicant, definition_key="spin", org=people.applicant.org)
    # the clerk is told whom to ask; the engine's words are kept for the process administrator
    assert error.value.message == "流程「空转」配置有误，暂时无法发起，请联系流程管理员。"
    kept = AuditEvent.objects.get(event_name="workflow.instance.failed", success=False).message
    assert "循环" in kept and "自动赋值" in kept
    assert not ProcessInstance.objects.exists()


def test_a_join_waiting_for_a_branch_that_never_comes_is_refused(people):
    xml = (
        Bpmn("mismatch", "分支不配")
        .start(form="apply")
        .gateway("choose", name="选择", default="f_b")
        .user("a", "甲", groups="role:office-staff")
        .user("b", "乙", groups="role:office-staff")
        .gateway("join", "parallel", name="汇合")
        .end()
        .chain("start", "choose")
        .flow("choose", "a", 'pick == "a"')
        .flow("choose", "b", flow_id="f_b")
        .chain("a", "join", "end")
        .chain("b", "join")
        .xml()
    )
    processes.deploy(people, "mismatch", xml=xml, forms={"apply": processes.form_of(pick="textfield")})
    instance = services.process_start(
        actor=people.applicant, definition_key="mismatch", org=people.applicant.org, data={"pick": "a"}
    )
    task = processes.open_tasks(instance, "a")[0]
    with pytest.raises(ServiceError) as error:
        services.task_complete(actor=people.office1, task=task, form_data={})
    assert "汇合" in error.value.message
    instance.refresh_from_db()
    assert instance.status == "running" and processes.steps(instance) == ["a"]


def test_a_gateway_with_no_condition_holding_names_the_gateway(people):
    xml = (
        Bpmn("nopath", "无路可走")
        .start(form="apply")
        .gateway("amount", name="金额判断")
        .user("big", "大额", groups="role:office-staff")
        .user("small", "小额", groups="role:office-staff")
        .end()
        .chain("start", "amount")
        .flow("amount", "big", "amount > 100")
        .flow("amount", "small", "amount < 10")
        .chain("big", "end")
        .chain("small", "end")
        .xml()
    )
    processes.deploy(people, "nopath", xml=xml, forms={"apply": processes.form_of(amount="number")})
    with pytest.raises(ServiceError) as error:
        services.process_start(
            actor=people.applicant, definition_key="nopath", org=people.applicant.org, data={"amount": 50}
        )
    assert error.value.message == "流程「无路可走」配置有误，暂时无法发起，请联系流程管理员。"
    kept = AuditEvent.objects.get(event_name="workflow.instance.failed", success=False).message
    assert "网关「金额判断」的条件都不成立" in kept
    assert not ProcessInstance.objects.exists()
