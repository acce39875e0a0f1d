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


def sms_process(people, phone):
    xml = (
        Bpmn("notify", "短信通知")
        .start()
        .service(
            "text", "通知申请人", action="sms.send", phone=phone, text="您的申请（{days}天）已受理。{nope}"
        )
        .user("check", "复核", groups="role:approver")
        .end()
        .chain("start", "text", "check", "end")
        .xml()
    )
    processes.deploy(people, "notify", xml=xml, forms={})


def test_sms_send_stores_the_message_with_process_data_and_sends_after_commit(
    people, django_capture_on_commit_callbacks
):
    from jiedao.sms.models import OutboundMessage

    sms_process(people, "${phone}")
    with django_capture_on_commit_callbacks() as callbacks:
        instance = services.process_start(
            actor=people.applicant,
            definition_key="notify",
            org=people.applicant.org,
            data={"phone": "13800138000", "days": 3},
        )
    message = OutboundMessage.objects.get()
    assert (message.phone, message.body) == ("13800138000", "您的申请（3天）已受理。")
    assert message.org == instance.org and callbacks  # delivery is queued only once the step commits


def test_sms_send_to_a_number_that_is_not_a_mobile_stops_the_step(people):
    from jiedao.sms.models import OutboundMessage

    sms_process(people, "${phone}")
    with pytest.raises(ServiceError) as error:
        services.process_start(
            actor=people.applicant,
            definition_key="notify",
            org=people.applicant.org,
            data={"phone": "010-12345678"},
        )
    assert error.value.message == "动作「发送短信」执行失败（环节「通知申请人」）：短信只能发送到手机号码。"
    assert not OutboundMessage.objects.exists() and not ProcessInstance.objects.exists()


def test_generate_document_files_an_approval_sheet_with_this_steps_opinion(people):
    from jiedao.core.testing import client_for
    from jiedao.workflow.models import InstanceDocument
    from jiedao.workflow.tests.processes import APPROVE_FORM

    xml = (
        Bpmn("sheet", "用章审批")
        .start()
        .user("approve", "部门审批", groups="role:approver", form="approve")
        .service("sheet", "生成审批单", action="workflow.generate_document", title="用章审批单")
        .user("file", "归档", groups="role:approver")
        .end()
        .chain("start", "approve", "sheet", "file", "end")
        .xml()
    )
    processes.deploy(people, "sheet", xml=xml, forms={"approve": APPROVE_FORM})
    instance = services.process_start(
        actor=people.applicant, definition_key="sheet", org=people.applicant.org
    )
    task = processes.open_tasks(instance, "approve")[0]
    services.task_complete(
        actor=people.head, task=task, form_data={"outcome": "approve"}, opinion="同意用章，注意登记"
    )
    document = InstanceDocument.objects.get(instance=instance)
    assert document.title == "用章审批单" and document.element_id == "sheet"
    pdf = document.file.read()
    assert pdf.startswith(b"%PDF") and b"/FontFile2" in pdf  # Chinese set in an embedded font
    page = client_for(people.head).get(f"/workflow/instances/{instance.pk}/").content.decode()
    url = f"/workflow/instances/{instance.pk}/documents/{document.pk}/"
    assert url in page and "用章审批单" in page
    response = client_for(people.head).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == pdf
    assert client_for(people.outsider).get(url).status_code == 404  # another sub-district


def test_a_document_title_from_the_form_never_becomes_a_path(people):
    from jiedao.workflow.models import InstanceDocument

    xml = (
        Bpmn("sheet2", "审批单")
        .start()
        .service("sheet", "生成审批单", action="workflow.generate_document", title="${title}")
        .user("file", "归档", groups="role:approver")
        .end()
        .chain("start", "sheet", "file", "end")
        .xml()
    )
    processes.deploy(people, "sheet2", xml=xml, forms={})
    services.process_start(
        actor=people.applicant,
        definition_key="sheet2",
        org=people.applicant.org,
        data={"title": "../审批/单"},
    )
    document = InstanceDocument.objects.get()
    assert document.title == "../审批/单"
    assert "审批" not in document.file.name and document.file.name.count("/") == 4  # workflow/documents/Y/m/x


def test_a_process_reads_and_tags_only_residents_of_its_own_org(people):
    from jiedao.registry.models import SpecialGroupTag
    from jiedao.registry.tests import factories

    clerk_b = factories.staff(people.tree.community_b1)
    elsewhere = factories.person(clerk_b, people.tree.community_b1, name="王五")
    xml = (
        Bpmn("peek", "读取家庭")
        .start()
        .service("load", "读取家庭", action="registry.load_household", person_id="${pid}")
        .service("tag", "标记", action="registry.tag_add", person_id="${pid}", group="dibao")
        .service("text", "外发", action="sms.send", phone="13900001111", text="{household_text}")
        .user("check", "复核", groups="role:approver")
        .end()
        .chain("start", "load", "tag", "text", "check", "end")
        .xml()
    )
    processes.deploy(people, "peek", xml=xml, forms={})
    with pytest.raises(ServiceError) as error:
        services.process_start(
            actor=people.applicant,
            definition_key="peek",
            org=people.applicant.org,
            data={"pid": elsewhere.pk},
        )
    assert "不在本流程所属组织" in error.value.message and "王五" not in error.value.message
    assert not SpecialGroupTag.objects.exists() and not ProcessInstance.objects.exists()


def test_a_handler_named_in_the_form_must_be_within_the_instance_scope(people):
    xml = (
        Bpmn("named", "指定办理人")
        .start()
        .user("do", "办理", assignee="${who}")
        .end()
        .chain("start", "do", "end")
        .xml()
    )
    processes.deploy(people, "named", xml=xml, forms={})
    with pytest.raises(ServiceError) as error:
        services.process_start(
            actor=people.applicant, definition_key="named", org=people.applicant.org, data={"who": "outsider"}
        )
    assert "用户「outsider」不在本流程所属组织的管辖范围内" in error.value.message
    assert not ProcessInstance.objects.exists()
    instance = services.process_start(
        actor=people.applicant, definition_key="named", org=people.applicant.org, data={"who": "head"}
    )
    assert processes.open_tasks(instance)[0].assignee == people.head
