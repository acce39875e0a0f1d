"""Processes drawn in Flowable Modeler 6, Activiti Designer 5/6 and Camunda Modeler 5 (Camunda 7 and 8): what
maps onto the platform's convention is converted on import and the process deploys and runs; what cannot is
refused before deploy, naming the element and saying what to do."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jiedao.accounts.models import Role
from jiedao.core.exceptions import ValidationFailed
from jiedao.core.testing import client_for
from jiedao.workflow import bpmn, services
from jiedao.workflow.models import ProcessDefinition, WorkTask
from jiedao.workflow.tests import processes
from jiedao.workflow.tests.conftest import role
from jiedao.workflow.tests.processes import complete, open_tasks, steps

FILES = Path(__file__).resolve().parent / "vendor_files"


def vendor_file(name: str) -> str:
    return (FILES / name).read_text(encoding="utf-8")


def deploy(people, name: str, xml: str | None = None) -> ProcessDefinition:
    return services.definition_deploy_xml(
        actor=people.deployer, org=people.tree.subdistrict_a, bpmn_xml=xml or vendor_file(name), forms={}
    )


def refusal(people, name: str, xml: str | None = None) -> list[str]:
    with pytest.raises(ValidationFailed) as error:
        deploy(people, name, xml)
    assert not ProcessDefinition.objects.exists()
    return error.value.errors["bpmn_xml"]


def candidates(instance, element_id: str) -> set[str]:
    return {u.username for t in open_tasks(instance, element_id) for u in t.candidates.all()}


@pytest.fixture
def dept_leaders(people):
    """The role Flowable's group dept_leader stands for here: the same people under its Chinese name."""
    Role.objects.filter(code="approver").update(name="部门负责人")
    return people


# --- Flowable Modeler 6.x ------------------------------------------------------------------------------------


def test_a_flowable_leave_process_deploys_and_its_steps_reach_the_right_people(dept_leaders, people, clock):
    definition = deploy(people, "flowable_leave.bpmn20.xml")
    # the start event's formProperty fields became the start form; the group's display name found the role
    assert sorted(definition.forms) == ["form_sid_5A7F8C21_DEPT", "form_startEvent1"]
    assert "flowable:" not in definition.bpmn_xml and "$INITIATOR" not in definition.bpmn_xml
    instance = services.process_start(
        actor=people.applicant,
        definition_key="qingjia",
        org=people.applicant.org,
        data={"days": 5, "reason": "家中有事"},
    )
    assert steps(instance) == ["sid-5A7F8C21-DEPT"]
    assert candidates(instance, "sid-5A7F8C21-DEPT") == {"head", "head2"}
    task = open_tasks(instance)[0]
    assert task.due_at is not None  # flowable:dueDate="P2D" became a two-day time limit
    complete(instance, "sid-5A7F8C21-DEPT", people.head, {"deptApproved": True})
    # 5 days and approved: ${days > 3 && deptApproved == true} sends it to the leader (group id = role code)
    assert steps(instance) == ["sid-0C1D-LEADER"]
    assert candidates(instance, "sid-0C1D-LEADER") == {"leader"}
    complete(instance, "sid-0C1D-LEADER", people.leader)
    # $INITIATOR: 销假 goes to the applicant
    assert [t.assignee for t in open_tasks(instance)] == [people.applicant]


def test_a_flowable_timer_and_the_initiator_variable_carry_over(dept_leaders, people, clock):
    deploy(people, "flowable_leave.bpmn20.xml")
    instance = services.process_start(
        actor=people.applicant,
        definition_key="qingjia",
        org=people.applicant.org,
        data={"days": 4, "reason": "病"},
    )
    complete(instance, "sid-5A7F8C21-DEPT", people.head, {"deptApproved": True})
    clock.advance(days=3, minutes=1)
    assert services.fire_due_timers(now=clock()).advanced == 1
    instance.refresh_from_db()
    # the boundary timer P3D fired; ${initiator} (flowable:initiator="initiator") is the applicant
    assert steps(instance) == ["sid-7B3E-TIMEOUT"]
    assert open_tasks(instance)[0].assignee == people.applicant


def test_a_flowable_group_the_platform_does_not_know_is_refused_naming_the_step(people):
    messages = refusal(people, "flowable_leave.bpmn20.xml")
    assert (
        "用户任务「部门审批」（sid-5A7F8C21-DEPT）的候选组「dept_leader」（flowable:candidateGroups=dept_leader）"
        "在本平台没有代码或名称相同的角色：请在设计器中为它选择办理角色。"
    ) in messages
    # said once, by the import (which says what to do), not again by the deploy check
    assert len([m for m in messages if "dept_leader" in m]) == 1


def test_a_user_the_platform_does_not_know_is_refused_once(dept_leaders, people):
    xml = vendor_file("flowable_leave.bpmn20.xml").replace(
        'flowable:assignee="$INITIATOR"', 'flowable:assignee="zhangsan_oa"'
    )
    messages = refusal(people, "", xml)
    assert [m for m in messages if "zhangsan_oa" in m] == [
        "用户任务「销假」（sid-9E2B-XIAOJIA）的 flowable:assignee=zhangsan_oa "
        "无法识别（用户「zhangsan_oa」在本平台不存在）：请在设计器中重新指定办理人。"
    ]


def test_a_flowable_assignee_expression_is_refused_naming_the_step(dept_leaders, people):
    xml = vendor_file("flowable_leave.bpmn20.xml").replace(
        'flowable:assignee="$INITIATOR"', 'flowable:assignee="${leaveService.findManager(execution)}"'
    )
    messages = refusal(people, "", xml)
    assert [m for m in messages if "leaveService" in m] == [
        "用户任务「销假」（sid-9E2B-XIAOJIA）的 flowable:assignee=${leaveService.findManager(execution)} "
        "无法识别（是本平台无法计算的表达式）：请在设计器中重新指定办理人。"
    ]


def leader_handlers(handlers: str, start_field: str = "") -> str:
    """The Flowable file with 分管领导审批's handlers replaced, and a field added to the start form."""
    return (
        vendor_file("flowable_leave.bpmn20.xml")
        .replace(
            'name="分管领导审批" flowable:candidateGroups="subdistrict-leader"',
            f'name="分管领导审批" {handlers}',
        )
        .replace(
            '<flowable:formProperty id="reason"',
            f'{start_field}<flowable:formProperty id="reason"',
        )
    )


def test_a_candidate_list_read_from_a_variable_no_form_fills_is_refused_naming_the_step(dept_leaders, people):
    # In Flowable ${approvers} is a list of people set by the original system's code; here it would be taken
    # for one username and the step would fail once reached.
    messages = refusal(people, "", leader_handlers('flowable:candidateUsers="${approvers}"'))
    assert [m for m in messages if "approvers" in m] == [
        "用户任务「分管领导审批」（sid-0C1D-LEADER）的 flowable:candidateUsers=${approvers} 无法识别"
        "（流程变量「approvers」在原系统中通常是一组人员，本平台只能取表单字段中填写的一个用户名，"
        "而本流程的表单没有该字段）：请在设计器中重新指定办理人。"
    ]


def test_a_candidate_variable_a_form_field_fills_with_one_username_is_kept(dept_leaders, people, clock):
    xml = leader_handlers(
        'flowable:candidateUsers="#{approver}"',
        '<flowable:formProperty id="approver" name="分管领导（用户名）" type="string" required="true"/>',
    )
    deploy(people, "", xml)
    instance = services.process_start(
        actor=people.applicant,
        definition_key="qingjia",
        org=people.applicant.org,
        data={"days": 5, "reason": "事", "approver": "leader"},
    )
    complete(instance, "sid-5A7F8C21-DEPT", people.head, {"deptApproved": True})
    assert candidates(instance, "sid-0C1D-LEADER") == {"leader"}


def test_a_candidate_variable_filled_by_a_multiple_choice_field_is_refused(dept_leaders, people):
    xml = leader_handlers('flowable:candidateUsers="${approvers}"')
    forms = {
        "extra": {
            "type": "default",
            "components": [
                {
                    "type": "checklist",
                    "key": "approvers",
                    "label": "审批人",
                    "values": [{"label": "甲", "value": "leader"}],
                }
            ],
        }
    }
    conversion = services.definition_import(
        actor=people.deployer, org=people.tree.subdistrict_a, bpmn_xml=xml, forms=forms
    )
    assert [p for p in conversion.problems if "approvers" in p] == [
        "用户任务「分管领导审批」（sid-0C1D-LEADER）的 flowable:candidateUsers=${approvers} 无法识别"
        "（表单字段「approvers」可以填写多个值，而取自流程变量的办理人只能是一个用户名）：请在设计器中重新指定办理人。"
    ]


def test_a_candidate_list_mixing_names_and_expressions_is_refused_once_per_expression(dept_leaders, people):
    xml = leader_handlers(
        "flowable:candidateUsers=\"leader, #{leaveService.approvers(execution, 'dept,hr')}\" "
        'flowable:candidateGroups="subdistrict-leader,${leaderGroup}"'
    )
    messages = refusal(people, "", xml)
    about_the_step = [m for m in messages if "sid-0C1D-LEADER" in m]
    assert about_the_step == [
        "用户任务「分管领导审批」（sid-0C1D-LEADER）的 flowable:candidateUsers=#{leaveService.approvers(execution, "
        "'dept,hr')} 无法识别（是本平台无法计算的表达式）：请在设计器中重新指定办理人。",
        "用户任务「分管领导审批」（sid-0C1D-LEADER）的候选组「${leaderGroup}」（flowable:candidateGroups="
        "subdistrict-leader,${leaderGroup}）是本平台无法计算的表达式，本平台的候选组只能是角色："
        "请在设计器中为它选择办理角色。",
    ]


def test_a_flowable_countersign_over_a_variable_list_is_refused(dept_leaders, people):
    xml = (
        vendor_file("flowable_leave.bpmn20.xml")
        .replace(
            '<userTask id="sid-0C1D-LEADER" name="分管领导审批" flowable:candidateGroups="subdistrict-leader"',
            '<userTask id="sid-0C1D-LEADER" name="分管领导审批" flowable:assignee="${assignee}"',
        )
        .replace(
            "</userTask>\n    <boundaryEvent",
            '<multiInstanceLoopCharacteristics isSequential="false" flowable:collection="${assigneeList}" '
            'flowable:elementVariable="assignee"><completionCondition>'
            "${nrOfCompletedInstances/nrOfInstances >= 0.6}</completionCondition>"
            "</multiInstanceLoopCharacteristics></userTask>\n    <boundaryEvent",
            1,
        )
    )
    messages = refusal(people, "", xml)
    assert any(
        m.startswith("用户任务「分管领导审批」（sid-0C1D-LEADER）按流程变量中的人员名单逐人会签")
        and "flowable:collection=${assigneeList}" in m
        for m in messages
    ), messages
    # and the task is not left to nobody: deploy says it has no handler
    assert any("「分管领导审批」（sid-0C1D-LEADER）没有指定办理人" in m for m in messages), messages


def test_a_flowable_form_model_the_file_does_not_carry_is_refused_saying_what_to_create(dept_leaders, people):
    xml = vendor_file("flowable_leave.bpmn20.xml").replace(
        'name="分管领导审批" flowable:candidateGroups',
        'name="分管领导审批" flowable:formKey="leaderForm" flowable:candidateGroups',
    )
    messages = refusal(people, "", xml)
    assert (
        "用户任务「分管领导审批」（sid-0C1D-LEADER）的表单 flowable:formKey=leaderForm 是原系统中的外部表单，"
        "文件中没有它的内容：请在设计器下方新建标识为「leaderForm」的表单，或清除该环节的表单。"
    ) in messages


# --- Activiti 5/6 Designer -----------------------------------------------------------------------------------


@pytest.fixture
def activiti_groups(people):
    people.head.roles.add(role("deptLeader"))
    people.leader.roles.add(role("hr"))
    return people


def test_an_activiti_leave_process_without_a_diagram_deploys_and_runs(activiti_groups, people, clock):
    definition = deploy(people, "activiti_leave.bpmn20.xml")
    # a diagram was laid out for the designer, for every element and flow
    assert "BPMNDiagram" in definition.bpmn_xml
    for element_id in ("startevent1", "deptLeaderAudit", "exclusivegateway5", "flow11", "endevent1"):
        assert f'bpmnElement="{element_id}"' in definition.bpmn_xml
    start_form = definition.forms["form_startevent1"]
    leave_type = next(c for c in start_form["components"] if c["key"] == "leaveType")
    assert leave_type["type"] == "select" and {"label": "病假", "value": "sick"} in leave_type["values"]
    instance = services.process_start(
        actor=people.applicant,
        definition_key="leaveProcess",
        org=people.applicant.org,
        data={"leaveType": "sick", "startDate": "2026-10-12", "days": 2},
    )
    assert candidates(instance, "deptLeaderAudit") >= {"head"}
    complete(instance, "deptLeaderAudit", people.head, {"deptLeaderPass": False})
    # ${!deptLeaderPass}: back to the applicant (activiti:assignee="${applyUserId}", the initiator variable)
    assert steps(instance) == ["modifyApply"]
    assert open_tasks(instance)[0].assignee == people.applicant
    complete(instance, "modifyApply", people.applicant, {"reApply": True})  # ${reApply eq true}
    complete(instance, "deptLeaderAudit", people.head, {"deptLeaderPass": True})
    assert steps(instance) == ["hrAudit"] and candidates(instance, "hrAudit") == {"leader"}
    complete(instance, "hrAudit", people.leader)
    assert instance.status == "completed"


# --- Camunda Modeler 5 (Camunda 7) ---------------------------------------------------------------------------


def test_a_camunda_7_process_with_listeners_and_external_tasks_is_refused_naming_each_element(
    dept_leaders, people
):
    messages = refusal(people, "camunda_leave.bpmn")
    assert (
        "用户任务「部门审批」（Activity_0dept）带有任务监听器（cn.gov.oa.listener.NotifyLeaderListener），"
        "本平台不执行外部代码，已移除：如需在此环节自动处理，请改用服务任务（已登记的动作）。"
    ) in messages
    assert any(
        m.startswith("用户任务「部门审批」（Activity_0dept）的办理期限 camunda:dueDate=${dateTime()")
        for m in messages
    ), messages
    assert (
        "服务任务「短信通知申请人」（Activity_2sms）是原系统的外部任务（camunda:topic=send-sms），"
        "本平台没有同名的已登记动作，已移除：请在设计器中为它选择动作。"
    ) in messages
    assert any(
        m.startswith("用户任务「班子会签」（Activity_1joint）按流程变量中的人员名单逐人会签")
        for m in messages
    )
    assert not WorkTask.objects.exists()


def test_camunda_7_conversions_keep_what_maps(dept_leaders, people):
    conversion = services.definition_import(
        actor=people.deployer, org=people.tree.subdistrict_a, bpmn_xml=vendor_file("camunda_leave.bpmn")
    )
    model = bpmn.load(conversion.xml, conversion.forms, validate=False)
    # 部门负责人 is a role's name; ${applicant} is camunda:initiator's variable; the 60 % rule is kept
    assert model.element("Activity_0dept").candidate_groups == ["role:approver"]
    assert model.element("Activity_3back").assignee == "initiator"
    assert model.element("Activity_1joint").countersign == "0.6"
    assert model.element("Activity_1joint").assignee == ""  # the per-person ${leader} went with the list
    assert sorted(conversion.forms) == ["form_StartEvent_1"]


# --- Camunda Modeler 5 (Camunda 8, Zeebe) -------------------------------------------------------------------


def fawen(people, data: dict):
    return services.process_start(
        actor=people.applicant,
        definition_key="fawen_approval",
        org=people.applicant.org,
        data={"title": "关于开展消防安全检查的通知", "docType": "notice", "registrar": "office1", **data},
    )


def test_a_camunda_8_document_process_deploys_and_its_steps_reach_the_right_people(
    dept_leaders, people, clock
):
    definition = deploy(people, "camunda8_fawen.bpmn")
    assert "zeebe:" not in definition.bpmn_xml
    # the embedded Camunda Forms became the start form and the two steps' forms, with their fields
    assert sorted(definition.forms) == ["form_Activity_0dept", "form_Activity_1leader", "form_StartEvent_1"]
    start_keys = [c.get("key") for c in definition.forms["form_StartEvent_1"]["components"] if c.get("key")]
    assert start_keys == ["title", "docType", "amount", "issueDate", "urgent", "summary", "registrar"]
    instance = fawen(people, {"amount": 5000})
    # candidateGroups 部门负责人 is a role's name; =now() + duration("P2D") a two-day time limit
    assert candidates(instance, "Activity_0dept") == {"head", "head2"}
    assert open_tasks(instance)[0].due_at is not None
    # =decision = "approve" and amount > 1000
    complete(instance, "Activity_0dept", people.head, {"decision": "approve"})
    assert steps(instance) == ["Activity_1leader"] and candidates(instance, "Activity_1leader") == {"leader"}
    complete(instance, "Activity_1leader", people.leader, {"leaderOpinion": "同意发文"})
    # assignee =registrar: the user the start form named
    assert [t.assignee for t in open_tasks(instance)] == [people.office1]
    complete(instance, "Activity_2register", people.office1)
    assert instance.status == "completed"

    small = fawen(people, {"amount": 800})
    complete(small, "Activity_0dept", people.head2, {"decision": "approve"})
    assert steps(small) == ["Activity_2register"]
    rejected = fawen(people, {"amount": 800})
    complete(rejected, "Activity_0dept", people.head2, {"decision": "reject"})  # =decision = "reject"
    assert rejected.status == "completed" and steps(rejected) == []


def test_camunda_8_settings_that_map_are_converted_and_the_others_refused_naming_the_element(
    dept_leaders, people
):
    xml = (
        vendor_file("camunda8_fawen.bpmn")
        .replace(
            'duration(&#34;P2D&#34;)" />', 'duration(&#34;P2D&#34;)" followUpDate="2026-12-01T09:00:00Z" />'
        )
        .replace(
            '<zeebe:formDefinition formKey="camunda-forms:bpmn:userTaskForm_2l34d3r" />',
            '<zeebe:formDefinition formKey="camunda-forms:bpmn:userTaskForm_2l34d3r" />'
            '<zeebe:taskSchedule dueDate="PT4H" />',
        )
        .replace(
            "{&#34;components&#34;:[{&#34;label&#34;:&#34;领导批示&#34;",
            "{&#34;components&#34;:[{&#34;label&#34;:&#34;附件&#34;,&#34;type&#34;:&#34;filepicker&#34;,"
            "&#34;id&#34;:&#34;Field_0f1l3pk&#34;,&#34;key&#34;:&#34;attachment&#34;},"
            "{&#34;label&#34;:&#34;领导批示&#34;",
        )
        .replace(
            '<zeebe:assignmentDefinition assignee="=registrar" />',
            '<zeebe:assignmentDefinition assignee="=registrar" candidateUsers="=approvers" />'
            '<zeebe:formDefinition formId="fawen-register" />',
        )
        .replace('=decision = "reject"', '=list contains(["reject", "back"], decision)')
    )
    conversion = services.definition_import(
        actor=people.deployer, org=people.tree.subdistrict_a, bpmn_xml=xml
    )
    model = bpmn.load(conversion.xml, conversion.forms, validate=False)
    assert model.element("Activity_0dept").candidate_groups == ["role:approver"]
    assert model.element("Activity_1leader").candidate_groups == [
        "subdistrict-leader"
    ]  # =["subdistrict-leader"]
    assert model.element("Activity_2register").assignee == "${registrar}"
    assert 'jiedao:dueDays="2"' in conversion.xml and 'jiedao:dueHours="4"' in conversion.xml
    leader_form = conversion.forms["form_Activity_1leader"]["components"]
    assert [c["key"] for c in leader_form] == ["leaderOpinion"]
    assert (
        "用户任务「分管领导审批」（Activity_1leader）的表单字段「附件」的类型 filepicker 本平台的表单不支持，已移除："
        "请在设计器的表单中改用支持的类型（textfield、textarea、number、select、radio、checkbox、checklist、datetime）。"
    ) in conversion.problems
    assert (
        "用户任务「科室负责人审核」（Activity_0dept）的扩展属性 zeebe:followUpDate=2026-12-01T09:00:00Z "
        "本平台不支持，已移除：请在设计器中检查该环节的设置。"
    ) in conversion.problems
    assert (
        "用户任务「发文登记」（Activity_2register）的 zeebe:candidateUsers==approvers 无法识别"
        "（流程变量「approvers」在原系统中通常是一组人员，本平台只能取表单字段中填写的一个用户名，"
        "而本流程的表单没有该字段）：请在设计器中重新指定办理人。"
    ) in conversion.problems
    assert (
        "用户任务「发文登记」（Activity_2register）链接的表单「fawen-register」（zeebe:formDefinition formId）的"
        "表单文件没有一起导入，已移除：请同时选择流程文件和该表单的 .form 文件（或把它们压缩成一个 .zip）重新导入，"
        "或在设计器中为该环节新建表单。"
    ) in conversion.problems
    assert any(
        p.startswith(
            '连线「退回」（Flow_4reject）的条件「=list contains(["reject", "back"], decision)」无法转换为本平台的条件表达式'
        )
        for p in conversion.problems
    ), conversion.problems
    assert len(conversion.problems) == 5


def test_a_camunda_8_countersign_over_a_variable_list_is_refused_and_its_rule_kept(dept_leaders, people):
    xml = (
        vendor_file("camunda8_fawen.bpmn")
        .replace(
            '<zeebe:assignmentDefinition candidateGroups="=[&#34;subdistrict-leader&#34;]" />',
            '<zeebe:assignmentDefinition assignee="=leaderUser" />',
        )
        .replace(
            "<bpmn:outgoing>Flow_5leader</bpmn:outgoing>",
            """<bpmn:outgoing>Flow_5leader</bpmn:outgoing>
      <bpmn:multiInstanceLoopCharacteristics>
        <bpmn:extensionElements>
          <zeebe:loopCharacteristics inputCollection="=leaders" inputElement="leaderUser" />
        </bpmn:extensionElements>
        <bpmn:completionCondition xsi:type="bpmn:tFormalExpression">=numberOfCompletedInstances / numberOfInstances &gt;= 0.5</bpmn:completionCondition>
      </bpmn:multiInstanceLoopCharacteristics>""",
        )
    )
    conversion = services.definition_import(
        actor=people.deployer, org=people.tree.subdistrict_a, bpmn_xml=xml
    )
    assert 'jiedao:completion="0.5"' in conversion.xml
    assert [p for p in conversion.problems if "Activity_1leader" in p] == [
        "用户任务「分管领导审批」（Activity_1leader）按流程变量中的人员名单逐人会签（zeebe:collection==leaders），"
        "本平台的会签按候选人（角色或人员）生成，已移除：请在设计器中为它选择会签的角色或人员。"
    ]
    # the per-person =leaderUser went with the list, and the step is not left to nobody
    messages = refusal(people, "", xml)
    assert any("「分管领导审批」（Activity_1leader）没有指定办理人" in m for m in messages), messages


def test_a_broken_camunda_form_and_camunda_8_listeners_are_refused_naming_the_step(dept_leaders, people):
    text = vendor_file("camunda8_fawen.bpmn")
    start = text.index('<zeebe:userTaskForm id="userTaskForm_2l34d3r">')
    end = text.index("</zeebe:userTaskForm>", start)
    xml = (
        text[:start] + '<zeebe:userTaskForm id="userTaskForm_2l34d3r">{&#34;components&#34;:' + text[end:]
    ).replace(
        '<zeebe:assignmentDefinition assignee="=registrar" />',
        '<zeebe:assignmentDefinition assignee="=registrar" />'
        '<zeebe:taskListeners><zeebe:taskListener eventType="completing" type="archive-worker" />'
        "</zeebe:taskListeners>",
    )
    messages = refusal(people, "", xml)
    assert (
        "用户任务「分管领导审批」（Activity_1leader）的表单（zeebe:userTaskForm「userTaskForm_2l34d3r」）"
        "不是有效的 Camunda 表单，已移除：请在设计器中为该环节新建表单。"
    ) in messages
    assert (
        "用户任务「发文登记」（Activity_2register）带有任务监听器（archive-worker），本平台不执行外部代码，已移除："
        "如需在此环节自动处理，请改用服务任务（已登记的动作）。"
    ) in messages


def test_camunda_8_job_workers_variable_mappings_and_called_processes_are_refused(dept_leaders, people):
    xml = vendor_file("camunda8_fawen.bpmn").replace(
        '<bpmn:sequenceFlow id="Flow_6done" sourceRef="Activity_2register" targetRef="Event_0done" />',
        """<bpmn:serviceTask id="Activity_3sms" name="短信通知拟稿人">
      <bpmn:extensionElements>
        <zeebe:taskDefinition type="io.camunda:sms:1" retries="3" />
        <zeebe:ioMapping><zeebe:input source="=title" target="message" /></zeebe:ioMapping>
        <zeebe:taskHeaders><zeebe:header key="template" value="FAWEN_DONE" /></zeebe:taskHeaders>
      </bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:callActivity id="Activity_4archive" name="归档">
      <bpmn:extensionElements>
        <zeebe:calledElement processId="archive_process" propagateAllChildVariables="false" />
      </bpmn:extensionElements>
    </bpmn:callActivity>
    <bpmn:sequenceFlow id="Flow_6done" sourceRef="Activity_2register" targetRef="Activity_3sms" />
    <bpmn:sequenceFlow id="Flow_7sms" sourceRef="Activity_3sms" targetRef="Activity_4archive" />
    <bpmn:sequenceFlow id="Flow_8archive" sourceRef="Activity_4archive" targetRef="Event_0done" />""",
    )
    messages = refusal(people, "", xml)
    assert (
        "服务任务「短信通知拟稿人」（Activity_3sms）由原系统的作业处理程序（job worker）执行"
        "（zeebe:taskDefinition type=io.camunda:sms:1），本平台没有作业处理程序，已移除：请在设计器中为它选择已登记的动作。"
    ) in messages
    assert (
        "服务任务「短信通知拟稿人」（Activity_3sms）的输入/输出变量映射（zeebe:ioMapping）本平台不支持，已移除："
        "本平台的环节直接读写流程数据，如需计算变量，请改用服务任务（已登记的动作）。"
    ) in messages
    assert (
        "服务任务「短信通知拟稿人」（Activity_3sms）的任务头（zeebe:taskHeaders）是给原系统作业处理程序的参数，"
        "本平台不使用，已移除。"
    ) in messages
    assert (
        "调用活动「归档」（Activity_4archive）的被调用流程 zeebe:calledElement processId=archive_process "
        "本平台无法调用（不支持子流程），已移除：请把被调用流程的环节画进本流程。"
    ) in messages
    assert not WorkTask.objects.exists()


# --- the designer's 导入 --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_designers_import_answers_with_the_converted_file_and_what_to_fix(dept_leaders, people):
    client = client_for(people.deployer)
    client.post("/workflow/definitions/new/", {"key": "leave_request", "name": "请假申请"})
    draft = ProcessDefinition.objects.get(key="leave_request")
    answer = client.post(
        f"/workflow/definitions/{draft.pk}/import/",
        json.dumps({"bpmn_xml": vendor_file("camunda_leave.bpmn")}),
        content_type="application/json",
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["ok"] is True
    assert "taskListener" not in body["xml"] and 'camunda:candidateGroups="role:approver"' in body["xml"]
    assert "form_StartEvent_1" in body["forms"]
    assert any("部门负责人" in note and "role:approver" in note for note in body["notes"])
    assert any("（Activity_2sms）" in problem for problem in body["problems"])
    draft.refresh_from_db()
    assert "camunda:taskListener" not in draft.bpmn_xml  # nothing saved until the administrator saves


@pytest.mark.django_db
def test_uploading_a_file_without_a_diagram_creates_a_draft_the_designer_can_open(activiti_groups, people):
    client = client_for(people.deployer)
    with (FILES / "activiti_leave.bpmn20.xml").open("rb") as upload:
        answer = client.post("/workflow/definitions/new/", {"bpmn_file": upload}, follow=True)
    draft = ProcessDefinition.objects.get(key="leaveProcess")
    assert "bpmndi:BPMNShape" in draft.bpmn_xml and "activiti:" not in draft.bpmn_xml
    assert "form_deptLeaderAudit" in draft.forms
    shown = [str(m) for m in answer.context["messages"]]
    assert any("已按流程顺序自动排版" in m for m in shown), shown
    services.definition_deploy(actor=people.deployer, definition=draft)


def test_a_draft_saved_with_flowable_extensions_is_converted_when_deployed(dept_leaders, people, clock):
    # The API saves drafts as sent: the extensions reach the deploy, which must not let the engine ignore them.
    draft = services.definition_save_draft(
        actor=people.deployer,
        org=people.tree.subdistrict_a,
        bpmn_xml=vendor_file("flowable_leave.bpmn20.xml"),
    )
    assert "flowable:candidateGroups" in draft.bpmn_xml
    deployed = services.definition_deploy(actor=people.deployer, definition=draft)
    assert "flowable:" not in deployed.bpmn_xml and "form_startEvent1" in deployed.forms
    instance = services.process_start(
        actor=people.applicant,
        definition_key="qingjia",
        org=people.applicant.org,
        data={"days": 5, "reason": "事"},
    )
    assert candidates(instance, "sid-5A7F8C21-DEPT") == {"head", "head2"}


def test_a_draft_with_a_flowable_group_the_platform_does_not_know_stays_a_draft(people):
    draft = services.definition_save_draft(
        actor=people.deployer,
        org=people.tree.subdistrict_a,
        bpmn_xml=vendor_file("flowable_leave.bpmn20.xml"),
    )
    with pytest.raises(ValidationFailed) as error:
        services.definition_deploy(actor=people.deployer, definition=draft)
    assert any("候选组「dept_leader」" in message for message in error.value.errors["bpmn_xml"])
    draft.refresh_from_db()
    assert draft.status == "draft" and "flowable:candidateGroups" in draft.bpmn_xml


def test_an_already_converted_file_comes_back_unchanged(people):
    xml, forms = processes.shipped("leave")
    conversion = services.definition_import(
        actor=people.deployer, org=people.tree.subdistrict_a, bpmn_xml=xml, forms=forms
    )
    assert conversion.xml == xml and not conversion.notes and not conversion.problems


def test_the_import_keeps_refusing_entities(people):
    evil = '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x "x">]><d>&x;</d>'
    with pytest.raises(ValidationFailed) as error:
        services.definition_import(actor=people.deployer, org=people.tree.subdistrict_a, bpmn_xml=evil)
    assert "DOCTYPE" in error.value.errors["bpmn_xml"][0]


# --- in the browser -------------------------------------------------------------------------------------------


@pytest.fixture
def page(open_page):
    return open_page(1400, 1000, console=False)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_activiti_file_without_a_diagram_opens_in_the_designer_and_deploys(
    page, live_server, activiti_groups, people
):
    from playwright.sync_api import expect

    from jiedao.core.testing import sign_in

    client = client_for(people.deployer)
    client.post("/workflow/definitions/new/", {"key": "leaveProcess", "name": "请假流程"})
    draft = ProcessDefinition.objects.get(key="leaveProcess")
    sign_in(page, people.deployer, live_server)
    page.goto(f"/workflow/definitions/{draft.pk}/edit/")
    page.locator("#wf-import").set_input_files(str(FILES / "activiti_leave.bpmn20.xml"))
    expect(page.locator('.djs-element[data-element-id="hrAudit"]')).to_be_visible()
    expect(page.get_by_test_id("import-notes")).to_contain_text("已按流程顺序自动排版")
    expect(page.get_by_test_id("import-notes")).to_contain_text("已转换为发起人（initiator）")
    expect(page.get_by_test_id("import-problems")).to_have_count(0)
    expect(page.locator("#wf-form-key option")).to_have_count(3)
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#wf-deploy").click()
    expect(page.get_by_test_id("designer-readonly")).to_be_visible()
    draft.refresh_from_db()
    assert draft.status == "deployed" and 'camunda:assignee="initiator"' in draft.bpmn_xml


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_designer_lists_what_a_camunda_file_needs_fixed(page, live_server, dept_leaders, people):
    from playwright.sync_api import expect

    from jiedao.core.testing import sign_in

    client = client_for(people.deployer)
    client.post("/workflow/definitions/new/", {"key": "leave_request", "name": "请假申请"})
    draft = ProcessDefinition.objects.get(key="leave_request")
    sign_in(page, people.deployer, live_server)
    page.goto(f"/workflow/definitions/{draft.pk}/edit/")
    page.locator("#wf-import").set_input_files(str(FILES / "camunda_leave.bpmn"))
    expect(page.locator('.djs-element[data-element-id="Activity_2sms"]')).to_be_visible()
    problems = page.get_by_test_id("import-problems")
    expect(problems).to_contain_text("用户任务「部门审批」（Activity_0dept）带有任务监听器")
    expect(problems).to_contain_text("服务任务「短信通知申请人」（Activity_2sms）是原系统的外部任务")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_camunda_8_file_opens_in_the_designer_with_its_forms_and_deploys(
    page, live_server, dept_leaders, people
):
    from playwright.sync_api import expect

    from jiedao.core.testing import sign_in

    client = client_for(people.deployer)
    client.post("/workflow/definitions/new/", {"key": "fawen_approval", "name": "发文审批"})
    draft = ProcessDefinition.objects.get(key="fawen_approval")
    sign_in(page, people.deployer, live_server)
    page.goto(f"/workflow/definitions/{draft.pk}/edit/")
    page.locator("#wf-import").set_input_files(str(FILES / "camunda8_fawen.bpmn"))
    expect(page.locator('.djs-element[data-element-id="Activity_2register"]')).to_be_visible()
    expect(page.get_by_test_id("import-notes")).to_contain_text("已转换为表单「form_Activity_0dept」")
    expect(page.get_by_test_id("import-problems")).to_have_count(0)
    expect(page.locator("#wf-form-key option")).to_have_count(3)  # the three embedded Camunda Forms
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#wf-deploy").click()
    expect(page.get_by_test_id("designer-readonly")).to_be_visible()
    draft.refresh_from_db()
    assert draft.status == "deployed" and 'camunda:assignee="${registrar}"' in draft.bpmn_xml
