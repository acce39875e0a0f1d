"""Messages of the workflow engine said once, flat and in the user's terms (exploratory test, item 15)."""

import pytest

from jiedao.core.exceptions import ServiceError, ValidationFailed
from jiedao.core.testing import api_client_for
from jiedao.workflow import services
from jiedao.workflow.tests import processes
from jiedao.workflow.tests.builder import Bpmn

pytestmark = pytest.mark.django_db


def test_a_refused_condition_is_said_once_without_nested_brackets(people):
    xml = (
        Bpmn("x", "危险条件")
        .start()
        .user("a", "审核", groups="role:approver")
        .gateway("gw", default="f2")
        .end()
        .chain("start", "a", "gw")
        .flow("gw", "end", '__import__("os").system("id")', flow_id="f1", name="危险")
        .flow("gw", "end", flow_id="f2")
        .xml()
    )
    draft = services.definition_save_draft(
        actor=people.deployer, org=people.tree.subdistrict_a, bpmn_xml=xml, forms={}
    )
    with pytest.raises(ValidationFailed) as refused:
        services.definition_deploy(actor=people.deployer, definition=draft)
    about = [m for m in refused.value.errors["bpmn_xml"] if "__import__" in m]
    assert len(about) == 1, about
    (message,) = about
    assert message.startswith("连线「危险」（f1）的条件无效：")
    assert "（函数调用）" in message and "。）" not in message


def test_a_date_field_asks_for_a_date(people, leave):
    instance = services.process_start(
        actor=people.applicant, definition_key="leave", org=people.applicant.org, data={}
    )
    task = processes.task_for(instance, "apply", people.applicant)
    with pytest.raises(ValidationFailed) as refused:
        services.task_complete(
            actor=people.applicant, task=task, form_data={**processes.LEAVE, "start_date": "明天"}
        )
    assert refused.value.errors["start_date"] == ["「开始日期」应为有效的日期（YYYY-MM-DD）。"]


def test_form_data_that_is_not_an_object_is_explained_through_the_api(people, leave):
    api = api_client_for(people.applicant)
    started = api.post(
        "/api/v1/process-instances/", {"definition_key": "leave", "data": "days=3"}, format="json"
    )
    assert started.status_code == 400
    assert started.json()["errors"]["data"] == ["表单数据应为以字段标识为键的 JSON 对象。"]
    instance = services.process_start(
        actor=people.applicant, definition_key="leave", org=people.applicant.org, data={}
    )
    task = processes.task_for(instance, "apply", people.applicant)
    answer = api.post(f"/api/v1/tasks/{task.pk}/complete/", {"form_data": "days=3"}, format="json")
    assert answer.status_code == 400
    assert answer.json()["errors"]["form_data"] == ["表单数据应为以字段标识为键的 JSON 对象。"]


def test_a_process_not_deployed_here_is_named_by_its_name(people, leave):
    with pytest.raises(ServiceError) as refused:
        services.process_start(
            actor=people.outsider, definition_key="leave", org=people.outsider.org, data={}
        )
    assert str(refused.value.message).startswith("「请销假」流程尚未发布，或不适用于")
