import pytest

from jiedao.core.exceptions import ServiceError, ValidationFailed
from jiedao.workflow import actions, services
from jiedao.workflow.actions import ActionError, workflow_action
from jiedao.workflow.models import CarbonCopy, ProcessInstance
from jiedao.workflow.signals import copies_created
from jiedao.workflow.tests import processes
from jiedao.workflow.tests.builder import Bpmn


@pytest.fixture
def sent():
    calls = []

    def receiver(sender, copy_ids, **kwargs):
        calls.append(copy_ids)

    copies_created.connect(receiver)
    yield calls
    copies_created.disconnect(receiver)


def auto_process(people, **service):
    xml = (
        Bpmn("auto", "自动处理")
        .start()
        .service("act", "自动动作", **service)
        .gateway("gw", default="f_small")
        .user("big", "大额复核", groups="role:subdistrict-leader")
        .end()
        .chain("start", "act", "gw")
        .flow("gw", "big", 'level == "high"')
        .flow("gw", "end", flow_id="f_small")
        .chain("big", "end")
        .xml()
    )
    processes.deploy(people, "auto", xml=xml, forms={})


def test_set_variable(people):
    with pytest.raises(ValidationFailed) as error:
        auto_process(
            people, action="workflow.set_variable", name="level", value='${"high" if amount > 1 else "low"}'
        )
    assert "条件表达式" in error.value.errors["bpmn_xml"][0]
    auto_process(people, action="workflow.set_variable", name="level", value="high")
    instance = services.process_start(actor=people.applicant, definition_key="auto", org=people.applicant.org)
    assert processes.steps(instance) == ["big"] and instance.data["level"] == "high"


def test_notify_copy_signal_after_commit(people, sent, django_capture_on_commit_callbacks):
    processes.deploy(people, "countersign")
    with django_capture_on_commit_callbacks() as callbacks:
        instance = services.process_start(
            actor=people.applicant,
            definition_key="countersign",
            org=people.applicant.org,
            data={"title": "甲", "content": "乙"},
        )
        signers = [task.assignee for task in processes.open_tasks(instance, "sign")]
        assert len(signers) == 6  # office staff, department heads and the supervisor of the sub-district
        for user in signers:
            processes.complete(instance, "sign", user, {"outcome": "approve"})
    assert CarbonCopy.objects.filter(instance=instance).count() == 1
    assert sent == []  # nothing is sent before the transaction commits
    for callback in callbacks:
        callback()
    assert len(sent) == 1 and len(sent[0]) == 1


def test_an_app_action_checked_on_deploy_and_at_run_time(people):
    seen = []

    @workflow_action(
        "test.record",
        label="记录",
        params={"count": {"type": "int"}, "flag": {"type": "bool", "required": False}},
    )
    def record(ctx, *, count, flag=False):
        if count > 5:
            raise ActionError("数量超过上限")
        seen.append((ctx.instance.pk, ctx.actor, count, flag))
        ctx.data["recorded"] = count

    try:
        with pytest.raises(ValidationFailed) as error:
            auto_process(people, action="test.record", count="many")
        assert "参数「count」应为整数" in error.value.errors["bpmn_xml"][0]
        auto_process(people, action="test.record", count="${amount}", flag="true")
        instance = services.process_start(
            actor=people.applicant,
            definition_key="auto",
            org=people.applicant.org,
            data={"amount": 3, "level": "low"},
        )
        assert seen == [(instance.pk, people.applicant, 3, True)] and instance.data["recorded"] == 3
        with pytest.raises(ServiceError) as error:
            services.process_start(
                actor=people.applicant, definition_key="auto", org=people.applicant.org, data={"amount": 9}
            )
        assert "动作「记录」执行失败" in str(error.value.message) and "数量超过上限" in str(
            error.value.message
        )
        assert ProcessInstance.objects.count() == 1  # the failed start left nothing
    finally:
        actions.ACTIONS.pop("test.record", None)
