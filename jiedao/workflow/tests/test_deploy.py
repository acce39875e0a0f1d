import pytest

from jiedao.audit.models import AuditEvent
from jiedao.core.exceptions import OutOfScope, PermissionDenied, ValidationFailed
from jiedao.core.testing import make_user
from jiedao.workflow import services
from jiedao.workflow.choices import DefinitionStatus
from jiedao.workflow.models import ProcessDefinition
from jiedao.workflow.tests import processes
from jiedao.workflow.tests.builder import Bpmn

SIMPLE = (
    Bpmn("simple", "简单审批")
    .start()
    .user("approve", "审批", groups="role:approver", form="approve")
    .end()
    .chain("start", "approve", "end")
)


def deploy_errors(people, xml, forms=None) -> list[str]:
    with pytest.raises(ValidationFailed) as error:
        services.definition_deploy_xml(
            actor=people.deployer, org=people.tree.subdistrict_a, bpmn_xml=xml, forms=forms or {}
        )
    assert not ProcessDefinition.objects.exists(), "nothing may be deployed"
    return error.value.errors["bpmn_xml"]


class TestDeploy:
    def test_shipped_processes_deploy(self, people):
        for name in ("leave", "joint_review", "countersign"):
            definition = processes.deploy(people, name)
            assert definition.status == DefinitionStatus.DEPLOYED and definition.version == 1
        assert AuditEvent.objects.filter(event_name="workflow.definition.deployed").count() == 3

    def test_redeploy_makes_a_new_version(self, people):
        first = processes.deploy(people, "leave")
        second = processes.deploy(people, "leave")
        assert (first.key, first.version, second.version) == ("leave", 1, 2)

    def test_deploy_needs_the_permission_over_the_org(self, people):
        xml = SIMPLE.xml()
        with pytest.raises(PermissionDenied):
            services.definition_deploy_xml(
                actor=people.applicant, org=people.tree.community_a1, bpmn_xml=xml, forms={}
            )
        with pytest.raises(OutOfScope):
            services.definition_deploy_xml(
                actor=people.deployer, org=people.tree.subdistrict_b, bpmn_xml=xml, forms={}
            )

    def test_draft_then_deploy(self, people):
        draft = services.definition_save_draft(
            actor=people.deployer, org=people.tree.subdistrict_a, bpmn_xml=SIMPLE.xml(), forms={}
        )
        assert draft.status == DefinitionStatus.DRAFT
        with pytest.raises(ValidationFailed) as error:  # the form "approve" is not defined yet
            services.definition_deploy(actor=people.deployer, definition=draft)
        assert "表单「approve」未定义" in error.value.errors["bpmn_xml"][0]
        draft = services.definition_save_draft(
            actor=people.deployer,
            org=people.tree.subdistrict_a,
            bpmn_xml=SIMPLE.xml(),
            forms={"approve": processes.APPROVE_FORM},
            definition=draft,
        )
        deployed = services.definition_deploy(actor=people.deployer, definition=draft)
        assert deployed.status == DefinitionStatus.DEPLOYED and deployed.deployed_by == people.deployer
        copy = services.definition_new_version(actor=people.deployer, definition=deployed)
        assert (copy.status, copy.version) == (DefinitionStatus.DRAFT, 2)


class TestRefused:
    def test_malformed_xml(self, people):
        (message,) = deploy_errors(people, "<bpmn:definitions><bpmn:process id='x'>")
        assert "不是格式正确的 XML" in message

    def test_xxe_payload(self, people):
        xml = """<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">
  <bpmn:process id="x" isExecutable="true"><bpmn:startEvent id="s" name="&xxe;"/></bpmn:process>
</bpmn:definitions>"""
        (message,) = deploy_errors(people, xml)
        assert "DOCTYPE" in message

    def test_billion_laughs(self, people):
        entities = '<!ENTITY lol "lol">' + "".join(
            f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'
            for i in range(1, 10)
        )
        xml = f"""<?xml version="1.0"?><!DOCTYPE lolz [{entities}]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"><bpmn:process id="x">&lol9;</bpmn:process></bpmn:definitions>"""
        (message,) = deploy_errors(people, xml)
        assert "DOCTYPE" in message

    def test_script_task_is_refused_by_name(self, people):
        xml = (
            Bpmn("s", "脚本")
            .start()
            .script("calc", "计算补贴", "import os; os.system('id')")
            .end()
            .chain("start", "calc", "end")
            .xml()
        )
        errors = deploy_errors(people, xml)
        assert any("脚本任务「计算补贴」（calc）不允许使用" in e for e in errors), errors

    def test_gateway_flow_without_condition(self, people):
        xml = (
            Bpmn("g", "网关")
            .start(form="apply")
            .gateway("gw", name="是否超过三天")
            .user("a", "甲", groups="role:approver")
            .user("b", "乙", groups="role:approver")
            .end()
            .chain("start", "gw")
            .flow("gw", "a", "days > 3", flow_id="f_long")
            .flow("gw", "b", flow_id="f_short", name="其他")
            .chain("a", "end")
            .chain("b", "end")
            .xml()
        )
        errors = deploy_errors(people, xml, {"apply": processes.form_of(days="number")})
        assert errors == [
            "网关「是否超过三天」（gw）的出口连线「其他」（f_short）没有条件（只有默认连线可以不设条件）。"
        ]

    def test_an_untyped_task_and_a_default_that_is_not_an_outgoing_flow(self, people):
        xml = (
            Bpmn("t", "未指定类型")
            .start()
            .task("todo", "普通任务")
            .gateway("gw", name="判断", default="nope")
            .user("a", "甲", groups="role:approver")
            .end()
            .chain("start", "todo", "gw")
            .flow("gw", "a", "days > 3")
            .flow("gw", "end", "days <= 3")
            .chain("a", "end")
            .xml()
        )
        errors = deploy_errors(people, xml)
        assert "「普通任务」（todo）是未指定类型的任务：请在设计器中把它改为用户任务" in errors[0]
        assert "「判断」（gw）的默认连线「nope」不是它的出口连线。" in errors

    def test_a_lone_process_saved_as_not_executable_is_deployed(self, people):
        xml = SIMPLE.xml().replace('isExecutable="true"', 'isExecutable="false"')
        definition = services.definition_deploy_xml(
            actor=people.deployer,
            org=people.tree.subdistrict_a,
            bpmn_xml=xml,
            forms={"approve": processes.APPROVE_FORM},
        )
        assert definition.key == "simple"

    def test_loop_without_exit(self, people):
        xml = (
            Bpmn("loop", "循环")
            .start()
            .user("a", "初审", groups="role:approver")
            .user("b", "复审", groups="role:approver")
            .end()
            .chain("start", "a", "b")
            .flow("b", "a")
            .xml()
        )
        errors = deploy_errors(people, xml)
        assert any("无法结束的循环" in e and "「初审」（a）" in e and "「复审」（b）" in e for e in errors), (
            errors
        )

    def test_loop_with_an_exit_is_fine(self, people):
        xml = (
            Bpmn("loop_ok", "可退回")
            .start()
            .user("a", "填写", assignee="initiator")
            .user("b", "审核", groups="role:approver")
            .gateway("gw", default="f_done")
            .end()
            .chain("start", "a", "b", "gw")
            .flow("gw", "a", 'outcome == "reject"')
            .flow("gw", "end", flow_id="f_done")
            .xml()
        )
        services.definition_deploy_xml(actor=people.deployer, org=people.tree.subdistrict_a, bpmn_xml=xml)

    def test_unknown_role_org_anchor_user_and_action(self, people):
        xml = (
            Bpmn("u", "未知")
            .start()
            .user("a", "审核", groups="role:no-such-role, orgrole:approver@moon", users="ghost")
            .service("act", "自动处理", action="registry.no_such_action")
            .service("setv", "设置变量", action="workflow.set_variable", name="1abc")
            .end()
            .chain("start", "a", "act", "setv", "end")
            .xml()
        )
        errors = deploy_errors(people, xml)
        text = "\n".join(errors)
        assert "用户任务「审核」（a）引用的角色「no-such-role」不存在。" in text
        assert "未知的组织位置「moon」" in text
        # once, in the import's words (which say what to do)
        assert [e for e in errors if "ghost" in e] == [
            "用户任务「审核」（a）的 camunda:candidateUsers=ghost 无法识别（用户「ghost」在本平台不存在）："
            "请在设计器中重新指定办理人。"
        ]
        assert "服务任务「自动处理」（act）：未知的动作「registry.no_such_action」" in text
        assert "服务任务「设置变量」（setv）" in text and "变量名" in text and "缺少参数「value」" in text

    def test_unsupported_elements_and_bad_conditions(self, people):
        xml = (
            Bpmn("x", "不支持")
            .start()
            .user("a", "审核", groups="role:approver")
            .gateway("gw", default="f2")
            .end()
            .chain("start", "a", "gw")
            .flow("gw", "end", "__import__('os').system('id')", flow_id="f1", name="危险")
            .flow("gw", "end", flow_id="f2")
            .xml()
            .replace(
                "</bpmn:process>",
                '<bpmn:subProcess id="sub" name="子流程甲"/><bpmn:callActivity id="call"/></bpmn:process>',
            )
        )
        errors = "\n".join(deploy_errors(people, xml))
        assert "不支持的元素类型：子流程「子流程甲」（sub）" in errors
        assert "不支持的元素类型：调用活动「call」" in errors
        assert "连线「危险」（f1）的条件无效" in errors

    def test_a_sequential_countersign_and_a_bad_share(self, people):
        xml = (
            Bpmn("cs", "会签")
            .start()
            .user("a", "会签甲", groups="role:approver", countersign="all", sequential=True)
            .user("b", "会签乙", groups="role:approver", countersign="1.5")
            .end()
            .chain("start", "a", "b", "end")
            .xml()
        )
        errors = "\n".join(deploy_errors(people, xml))
        assert "「会签甲」（a）是顺序多实例" in errors and "「会签乙」（b）的会签规则「1.5」无效" in errors

    def test_bad_forms(self, people):
        forms = {
            "approve": {
                "components": [
                    {"type": "iframe", "key": "x", "url": "http://evil"},
                    {"type": "select", "key": "y", "label": "选择"},
                    {"type": "textfield", "key": "bad key", "label": "坏键"},
                ]
            }
        }
        errors = "\n".join(deploy_errors(people, SIMPLE.xml(), forms))
        assert "组件类型「iframe」不受支持" in errors
        assert "字段「选择」没有可选项" in errors
        assert "字段「坏键」的 key 无效" in errors


class TestVersions:
    def test_a_new_version_does_not_change_a_running_instance(self, people):
        forms = {"approve": processes.APPROVE_FORM}
        v1 = processes.deploy(people, "simple", xml=SIMPLE.xml(), forms=forms)
        running = services.process_start(
            actor=people.applicant, definition_key="simple", org=people.applicant.org
        )
        v2_xml = (
            Bpmn("simple", "简单审批（两级）")
            .start()
            .user("approve", "审批", groups="role:approver", form="approve")
            .user("second", "复核", groups="role:subdistrict-leader")
            .end()
            .chain("start", "approve", "second", "end")
            .xml()
        )
        v2 = processes.deploy(people, "simple", xml=v2_xml, forms=forms)
        assert (v1.version, v2.version) == (1, 2)
        processes.complete(running, "approve", people.head, {"outcome": "approve"})
        assert running.definition == v1 and running.status == "completed"
        fresh = services.process_start(
            actor=people.applicant, definition_key="simple", org=people.applicant.org
        )
        assert fresh.definition == v2
        processes.complete(fresh, "approve", people.head, {"outcome": "approve"})
        assert processes.steps(fresh) == ["second"]

    def test_the_nearest_org_definition_applies(self, people):
        tree = people.tree
        forms = {"approve": processes.APPROVE_FORM}
        parent = processes.deploy(people, "simple", xml=SIMPLE.xml(), forms=forms)
        community_admin = make_user(
            tree.community_a1, "workflow.add_processdefinition", username="community-admin"
        )
        own = services.definition_deploy_xml(
            actor=community_admin,
            org=tree.community_a1,
            bpmn_xml=SIMPLE.xml().replace("简单审批", "社区自己的审批"),
            forms=forms,
        )
        assert services.resolve_definition("simple", tree.community_a1) == own
        assert services.resolve_definition("simple", tree.grid_a1) == own
        assert services.resolve_definition("simple", tree.community_a2) == parent
        assert services.resolve_definition("simple", tree.community_b1) is None
        processes.deploy(people, "simple", xml=SIMPLE.xml(), forms=forms)  # v2 at the sub-district
        assert services.resolve_definition("simple", tree.community_a2).version == 2
        assert services.resolve_definition("simple", tree.community_a1) == own

    def test_retired_versions_are_not_started(self, people):
        forms = {"approve": processes.APPROVE_FORM}
        definition = processes.deploy(people, "simple", xml=SIMPLE.xml(), forms=forms)
        services.definition_retire(actor=people.deployer, definition=definition)
        from jiedao.core.exceptions import ServiceError

        with pytest.raises(ServiceError) as error:
            services.process_start(actor=people.applicant, definition_key="simple", org=people.applicant.org)
        assert "尚未发布" in str(error.value.message)


CAMUNDA_FORM_DATA = """<bpmn:extensionElements><camunda:formData>
  <camunda:formField id="approved" label="同意" type="boolean" defaultValue="false" />
  <camunda:formField id="amount" label="金额" type="long">
    <camunda:validation><camunda:constraint name="required" /><camunda:constraint name="max" config="5000" />
    </camunda:validation>
  </camunda:formField>
  <camunda:formField id="level" label="级别" type="enum">
    <camunda:value id="low" name="一般" /><camunda:value id="high" name="重要" />
  </camunda:formField>
</camunda:formData></bpmn:extensionElements>"""


def test_camunda_generated_task_forms_become_forms_and_feed_the_conditions(people):
    """A process drawn in Camunda Modeler with generated task forms (camunda:formData), JUEL conditions."""
    xml = (
        Bpmn("camunda", "外部流程")
        .start()
        .user("review", "审核", groups="role:approver", extensions=CAMUNDA_FORM_DATA)
        .gateway("ok", name="通过？")
        .user("archive", "归档", groups="role:approver")
        .end()
        .chain("start", "review", "ok")
        .flow("ok", "archive", "${approved}")
        .flow("ok", "end", "${!approved}")
        .chain("archive", "end")
        .xml()
    )
    definition = services.definition_deploy_xml(
        actor=people.deployer, org=people.tree.subdistrict_a, bpmn_xml=xml, forms={}
    )
    form = definition.forms["form_review"]
    assert [(c["type"], c["key"]) for c in form["components"]] == [
        ("checkbox", "approved"),
        ("number", "amount"),
        ("select", "level"),
    ]
    assert form["components"][1]["validate"] == {"required": True, "max": 5000}
    instance = services.process_start(
        actor=people.applicant, definition_key="camunda", org=people.applicant.org
    )
    task = processes.open_tasks(instance, "review")[0]
    with pytest.raises(ValidationFailed) as error:
        services.task_complete(actor=people.head, task=task, form_data={"approved": True, "amount": 9000})
    assert set(error.value.errors) == {"amount"}
    services.task_complete(
        actor=people.head, task=task, form_data={"approved": True, "amount": 300, "level": "high"}
    )
    assert processes.steps(instance) == ["archive"]
