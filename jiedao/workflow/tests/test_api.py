import pytest

from jiedao.audit.models import AuditEvent
from jiedao.core.scope import DataScope
from jiedao.core.testing import ScopedModelContract, api_client_for, make_user
from jiedao.workflow import services
from jiedao.workflow.models import ProcessDefinition, WorkTask
from jiedao.workflow.tests import processes
from jiedao.workflow.tests.builder import Bpmn
from jiedao.workflow.tests.processes import start_leave, steps, task_for

ONE_STEP = (
    Bpmn("note", "备案")
    .start()
    .user("file", "备案", assignee="initiator")
    .end()
    .chain("start", "file", "end")
    .xml()
)


class TestProcessInstanceScope(ScopedModelContract):
    view_permission = "workflow.view_processinstance"
    api_list_url = "/api/v1/process-instances/"

    def api_detail_url(self, obj):
        return f"/api/v1/process-instances/{obj.pk}/"

    def make_object(self, org):
        district = org if org.parent_id is None else [*org.ancestors()][0]
        definition = ProcessDefinition.objects.filter(key="note").first()
        if definition is None:
            admin = make_user(district, "workflow.add_processdefinition", scope=DataScope.ALL)
            services.definition_deploy_xml(actor=admin, org=district, bpmn_xml=ONE_STEP)
        starter = make_user(org, "workflow.add_processinstance")
        return services.process_start(actor=starter, definition_key="note", org=org, data={"x": 1})


@pytest.fixture
def api(people):
    return {
        user: api_client_for(getattr(people, user))
        for user in ("applicant", "head", "head2", "leader", "deployer")
    }


def test_deploy_through_the_api(people, api):
    xml, forms = processes.shipped("leave")
    response = api["deployer"].post(
        "/api/v1/process-definitions/", {"bpmn_xml": xml, "forms": forms}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["key"], body["version"], body["status"], body["org"]) == (
        "leave",
        1,
        "deployed",
        people.tree.subdistrict_a.pk,
    )
    refused = api["deployer"].post(
        "/api/v1/process-definitions/",
        {"bpmn_xml": xml.replace('<bpmn:process id="leave"', '<!DOCTYPE x><bpmn:process id="leave"')},
        format="json",
    )
    assert refused.status_code == 400 and refused.json()["errors"]["bpmn_xml"]
    forbidden = api["applicant"].post("/api/v1/process-definitions/", {"bpmn_xml": xml}, format="json")
    assert forbidden.status_code == 403
    # The applicant may list what he can start (deployed at his sub-district), without definition rights.
    listed = api["applicant"].get("/api/v1/process-definitions/")
    assert listed.status_code == 200 and [d["key"] for d in listed.json()["results"]] == ["leave"]


def test_start_and_handle_through_the_api(leave, people, api):
    started = api["applicant"].post(
        "/api/v1/process-instances/", {"definition_key": "leave", "data": {}}, format="json"
    )
    assert started.status_code == 201, started.json()
    instance_id = started.json()["id"]
    todo = api["applicant"].get("/api/v1/tasks/", {"box": "todo"}).json()["results"]
    assert [(i["kind"], i["step"], i["instance"]) for i in todo] == [("task", "填写请假申请", instance_id)]
    task_id, version = todo[0]["id"], todo[0]["version"]

    detail = api["applicant"].get(f"/api/v1/tasks/{task_id}/").json()
    assert detail["form"]["components"][0]["key"] == "leave_type"

    bad = api["applicant"].post(
        f"/api/v1/tasks/{task_id}/complete/", {"form_data": {"days": "x"}}, format="json"
    )
    assert bad.status_code == 400
    assert bad.json()["errors"]["days"] == ["「请假天数」应为数字。"]

    ok = api["applicant"].post(
        f"/api/v1/tasks/{task_id}/complete/",
        {"form_data": {**processes.LEAVE, "days": 5}, "version": version},
        format="json",
    )
    assert ok.status_code == 200 and ok.json()["status"] == "completed"
    assert api["applicant"].get("/api/v1/tasks/counts/").json() == {
        "todo": 0,
        "done": 1,
        "started": 1,
        "cc": 0,
    }

    head_item = api["head"].get("/api/v1/tasks/").json()["results"][0]
    assert head_item["due_at"] and head_item["clock_status"] == "green"
    stale = api["head2"].post(f"/api/v1/tasks/{head_item['id']}/claim/", {}, format="json")
    assert stale.status_code == 200
    conflict = api["head"].post(
        f"/api/v1/tasks/{head_item['id']}/complete/",
        {"form_data": {"outcome": "approve"}, "version": head_item["version"]},
        format="json",
    )
    assert conflict.status_code == 409 and "认领" in conflict.json()["detail"]
    returned = api["head2"].post(
        f"/api/v1/tasks/{head_item['id']}/return/", {"reason": "请补充"}, format="json"
    )
    assert returned.status_code == 200

    detail = api["applicant"].get(f"/api/v1/process-instances/{instance_id}/").json()
    assert [h["action"] for h in detail["history"]] == ["start", "complete", "claim", "return"]
    assert detail["active_elements"] == ["apply"] and "head" in detail["completed_elements"]
    assert detail["history"][-1]["opinion"] == "请补充"


def test_tasks_of_others_are_not_found(leave, people, api):
    instance = start_leave(people)
    task = task_for(instance, "head")
    response = api["leader"].post(
        f"/api/v1/tasks/{task.pk}/complete/", {"form_data": {"outcome": "approve"}}, format="json"
    )
    assert response.status_code == 404
    assert api["leader"].get(f"/api/v1/tasks/{task.pk}/").status_code == 404
    assert steps(instance) == ["head"]


def test_transfer_and_withdraw_through_the_api(leave, people, api):
    instance = start_leave(people)
    task = task_for(instance, "head")
    moved = api["head"].post(
        f"/api/v1/tasks/{task.pk}/transfer/", {"to_user": "leader", "reason": "请领导审"}, format="json"
    )
    assert moved.status_code == 200 and moved.json()["assignee"]["username"] == "leader"
    unknown = api["leader"].post(
        f"/api/v1/tasks/{task.pk}/transfer/", {"to_user": "nobody", "reason": "x"}, format="json"
    )
    assert unknown.status_code == 400 and "nobody" in unknown.json()["errors"]["to_user"][0]
    withdrawn = api["applicant"].post(f"/api/v1/process-instances/{instance.pk}/withdraw/")
    assert withdrawn.status_code == 409  # the head already acted (transferred)
    assert WorkTask.objects.get(pk=task.pk).assignee == people.leader


def test_inbox_boxes_validate(people, api):
    response = api["head"].get("/api/v1/tasks/", {"box": "spam"})
    assert response.status_code == 400 and "box" in response.json()["errors"]


def test_schema_documents_the_endpoints(people, api):
    response = api["head"].get("/api/schema/")
    assert response.status_code == 200
    text = response.content.decode()
    for path in (
        "/api/v1/process-definitions/",
        "/api/v1/process-instances/{id}/withdraw/",
        "/api/v1/tasks/{id}/complete/",
    ):
        assert path in text


# --- what the definitions page offers, through the API ---------------------------------------------------------


def test_the_api_marks_the_version_in_use_as_the_list_does(people, leave, api):
    newer = processes.deploy(people, "leave")
    draft = services.definition_new_version(actor=people.deployer, definition=newer)
    listed = api["deployer"].get("/api/v1/process-definitions/?key=leave").json()["results"]
    assert {(d["version"], d["status"], d["is_current"]) for d in listed} == {
        (1, "deployed", False),  # 已被新版本取代
        (2, "deployed", True),  # 当前版本
        (3, "draft", False),
    }
    detail = api["deployer"].get(f"/api/v1/process-definitions/{newer.pk}/").json()
    assert detail["is_current"] is True
    assert api["deployer"].get(f"/api/v1/process-definitions/{draft.pk}/").json()["is_current"] is False
    retired = api["deployer"].post(f"/api/v1/process-definitions/{newer.pk}/retire/").json()
    assert retired["is_current"] is False
    # Version 1, deployed and not retired, is the one started again.
    assert api["deployer"].get(f"/api/v1/process-definitions/{leave.pk}/").json()["is_current"] is True


def test_a_draft_is_deleted_through_the_api_audited_and_a_published_version_refused(people, leave, api):
    draft = services.definition_new_version(actor=people.deployer, definition=leave)
    refused = api["deployer"].delete(f"/api/v1/process-definitions/{leave.pk}/")
    assert refused.status_code == 400
    assert refused.json() == {"code": "not_draft", "detail": "只有未发布的草稿可以删除；已发布的版本请停用。"}
    assert ProcessDefinition.objects.filter(pk=leave.pk).exists()
    deleted = api["deployer"].delete(f"/api/v1/process-definitions/{draft.pk}/")
    assert deleted.status_code == 204
    assert not ProcessDefinition.objects.filter(pk=draft.pk).exists()
    event = AuditEvent.objects.get(event_name="workflow.definition.deleted")
    assert (event.event_code, event.actor_id, event.target_id) == (3005, people.deployer.pk, str(draft.pk))


def test_deleting_a_draft_through_the_api_needs_the_designers_right_in_scope(people, leave, api):
    draft = services.definition_new_version(actor=people.deployer, definition=leave)
    # An approver may list and start, not design: refused as on the page.
    assert api["head"].delete(f"/api/v1/process-definitions/{draft.pk}/").status_code == 403
    # A designer of another sub-district does not see it.
    elsewhere = make_user(people.tree.subdistrict_b, "workflow.add_processdefinition")
    assert api_client_for(elsewhere).delete(f"/api/v1/process-definitions/{draft.pk}/").status_code == 404
    assert ProcessDefinition.objects.filter(pk=draft.pk).exists()
    assert not AuditEvent.objects.filter(event_name="workflow.definition.deleted").exists()


def test_publishing_through_the_api_gives_the_designers_warnings(people, api):
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
    forms = {"apply": processes.form_of(amount="number")}
    response = api["deployer"].post(
        "/api/v1/process-definitions/", {"bpmn_xml": xml, "forms": forms}, format="json"
    )
    assert response.status_code == 201, response.json()
    [warning] = response.json()["warnings"]
    assert warning.startswith("网关「金额判断」（gw）的出口连线都带条件，且没有默认连线")
    shipped, shipped_forms = processes.shipped("leave")
    clean = api["deployer"].post(
        "/api/v1/process-definitions/", {"bpmn_xml": shipped, "forms": shipped_forms}, format="json"
    )
    assert clean.json()["warnings"] == []
