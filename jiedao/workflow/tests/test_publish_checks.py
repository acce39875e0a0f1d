"""Publishing refuses a process that could never run and warns about a gateway that may stop requests; a
start that the process's configuration still stops tells the clerk plainly whom to ask (exploratory test,
item 5)."""

import json

import pytest

from jiedao.core.exceptions import ValidationFailed
from jiedao.core.testing import client_for
from jiedao.workflow import services
from jiedao.workflow.models import ProcessDefinition, ProcessInstance
from jiedao.workflow.tests import processes
from jiedao.workflow.tests.builder import Bpmn

pytestmark = pytest.mark.django_db


def deploy(people, xml, forms=None):
    return services.definition_deploy_xml(
        actor=people.deployer, org=people.tree.subdistrict_a, bpmn_xml=xml, forms=forms or {}
    )


def refusals(people, xml, forms=None) -> list[str]:
    with pytest.raises(ValidationFailed) as refused:
        deploy(people, xml, forms)
    assert not ProcessDefinition.objects.exists()
    return refused.value.errors["bpmn_xml"]


def trip(*, form=None):
    """The tester's 出差审批: start → gateway (no default) → two ends on `days`, and nobody handles anything."""
    return (
        Bpmn("chuchai", "出差审批")
        .start(form=form)
        .gateway("g")
        .end("end_a")
        .end("end_b")
        .chain("start", "g")
        .flow("g", "end_a", "days > 3")
        .flow("g", "end_b", "days < 1")
        .xml()
    )


def test_a_process_where_nothing_happens_is_refused(people):
    errors = refusals(people, trip(form="apply"), {"apply": processes.form_of(days="number")})
    assert errors == [
        "流程中没有用户任务（由人办理）也没有服务任务（自动执行动作），发起后不会有任何环节办理：请至少添加一个环节。"
    ]


def test_a_condition_on_a_variable_nothing_fills_is_refused_naming_it(people):
    errors = refusals(people, trip())
    assert any("的条件用到流程变量「days」，但本流程的表单中没有填写它的字段" in e for e in errors), errors
    xml = (
        Bpmn("ask", "请示")
        .start()
        .user("a", "审批", groups="role:approver")
        .gateway("gw", default="f_other")
        .user("b", "复核", groups="role:approver")
        .end()
        .chain("start", "a", "gw")
        .flow("gw", "b", 'a_outcome == "approve" and amount > 10', flow_id="f_big")
        .flow("gw", "end", flow_id="f_other")
        .chain("b", "end")
        .xml()
    )
    (error,) = refusals(people, xml)  # a_outcome is the platform's; amount comes from nowhere
    assert "连线「f_big」的条件用到流程变量「amount」" in error
    assert "（由办件发起的流程请勾选“仅由办件发起”）" in error


def test_variables_from_forms_the_platform_and_declared_actions_are_accepted(people):
    xml = (
        Bpmn("ok", "来源齐全")
        .start(form="apply")
        .service("setv", "定级", action="workflow.set_variable", name="level", value="high")
        .user("a", "审批", groups="role:approver", form="review")
        .gateway("gw", default="f_other")
        .user("b", "复核", groups="role:approver")
        .end()
        .chain("start", "setv", "a", "gw")
        .flow(
            "gw",
            "b",
            'amount > 10 and level == "high" and outcome == "approve" and note != "" and initiator != ""',
            flow_id="f_big",
        )
        .flow("gw", "end", flow_id="f_other")
        .chain("b", "end")
        .xml()
    )
    forms = {"apply": processes.form_of(amount="number"), "review": processes.form_of(note="textfield")}
    assert deploy(people, xml, forms).status == "deployed"


def test_the_shipped_processes_still_deploy(people):
    # the service hall's (dibao, service_review, enterprise_review) need the demo's roles: test_demo.py
    for name in ("leave", "joint_review", "countersign"):
        assert processes.deploy(people, name).status == "deployed", name


def test_a_gateway_that_may_stop_requests_is_warned_about_on_publishing(people):
    xml = (
        Bpmn("amount", "金额审批")
        .start(form="apply")
        .gateway("gw", name="金额判断")
        .user("big", "大额", groups="role:approver")
        .user("small", "小额", groups="role:approver")
        .end()
        .chain("start", "gw")
        .flow("gw", "big", "amount > 100")
        .flow("gw", "small", "amount < 10")
        .chain("big", "end")
        .chain("small", "end")
        .xml()
    )
    web = client_for(people.deployer)
    web.post("/workflow/definitions/new/", {"key": "amount", "name": "金额审批"})
    draft = ProcessDefinition.objects.get(key="amount")
    answer = web.post(
        f"/workflow/definitions/{draft.pk}/deploy/",
        json.dumps({"bpmn_xml": xml, "forms": {"apply": processes.form_of(amount="number")}}),
        content_type="application/json",
    )
    assert answer.json()["ok"], answer.json()
    page = web.get(answer.json()["redirect"]).content.decode()
    assert "网关「金额判断」（gw）的出口连线都带条件，且没有默认连线" in page


def test_a_start_the_configuration_stops_tells_the_clerk_whom_to_ask(people):
    xml = (
        Bpmn("amount", "金额审批")
        .start(form="apply")
        .gateway("gw", name="金额判断")
        .user("big", "大额", groups="role:approver")
        .user("small", "小额", groups="role:approver")
        .end()
        .chain("start", "gw")
        .flow("gw", "big", "amount > 100", flow_id="f_big")
        .flow("gw", "small", "amount < 10", flow_id="f_small")
        .chain("big", "end")
        .chain("small", "end")
        .xml()
    )
    deploy(people, xml, {"apply": processes.form_of(amount="number")})
    answer = client_for(people.applicant).post(
        "/workflow/start/amount/", {"form_data": json.dumps({"amount": 50}), "start_token": "t1"}
    )
    assert answer.status_code == 400
    page = answer.content.decode()
    assert "流程「金额审批」配置有误，暂时无法发起，请联系流程管理员。" in page
    assert "条件都不成立" not in page and "（gw）" not in page
    assert not ProcessInstance.objects.exists()
