"""A refused element is reported once, not again through the flows that touch it, and
the messages about flows name no raw XML attributes."""

from jiedao.workflow.tests.builder import Bpmn
from jiedao.workflow.tests.test_deploy import deploy_errors


def test_a_script_task_is_reported_once(people):
    xml = (
        Bpmn("s", "脚本")
        .start()
        .script("evil", "计算补贴", "import os")
        .end()
        .chain("start", "evil", "end")
        .xml()
    )
    errors = deploy_errors(people, xml)
    assert len(errors) == 1 and errors[0].startswith("脚本任务「计算补贴」（evil）不允许使用"), errors


def test_a_flow_to_a_missing_element_names_its_end_in_chinese(people):
    xml = (
        Bpmn("m", "缺失")
        .start()
        .user("a", "甲", groups="role:approver")
        .end()
        .chain("start", "a", "end")
        .xml()
    )
    flow = '<bpmn:sequenceFlow id="f9" sourceRef="a" targetRef="ghost"/>'
    xml = xml.replace("</bpmn:process>", flow + "</bpmn:process>", 1)
    errors = deploy_errors(people, xml)
    assert any("的终点「ghost」不在本流程中。" in e for e in errors), errors
    assert not [e for e in errors if "targetRef" in e or "sourceRef" in e], errors


def test_an_unnamed_user_task_is_refused_so_no_inbox_shows_its_generated_id(people):
    xml = (
        Bpmn("n", "无名")
        .start()
        .user("Activity_0hfl7xl", groups="role:approver")
        .end()
        .chain("start", "Activity_0hfl7xl", "end")
        .xml()
    )
    errors = deploy_errors(people, xml)
    assert errors == [
        "用户任务「Activity_0hfl7xl」没有名称：请填写名称（待办和办理记录中向办理人显示的就是它）。"
    ], errors
