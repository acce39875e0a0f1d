import json
import re

import pytest

from jiedao.core.testing import client_for
from jiedao.workflow.choices import DefinitionStatus, InstanceStatus, TaskStatus
from jiedao.workflow.models import ProcessDefinition, ProcessInstance, WorkTask
from jiedao.workflow.tests import processes
from jiedao.workflow.tests.conftest import at
from jiedao.workflow.tests.processes import start_leave, steps, task_for


@pytest.fixture
def web(people):
    return {
        name: client_for(getattr(people, name))
        for name in ("applicant", "head", "head2", "leader", "deployer", "outsider")
    }


def sidebar(page: str) -> str:
    return page[page.index('<nav id="sidebar"') : page.index("</nav>", page.index('<nav id="sidebar"'))]


def squeeze(html: str) -> str:
    return " ".join(html.split())


def test_sidebar_and_home_panel(leave, people, web):
    start_leave(people)
    home = web["head"].get("/workbench/").content.decode()
    assert "我的待办" in home  # the home panel
    menu = squeeze(sidebar(home))
    assert "流程审批" in menu
    # the four boxes of the inbox, with the count of what waits: one task to do, nothing copied unread
    assert re.search(r'href="/workflow/inbox/">[^<]*<i [^>]*></i> 待办 <span class="badge[^"]*">1<', menu)
    assert not re.search(r"抄送 <span class=\"badge", menu)
    for label, query in (("已办", "box=done"), ("我发起的", "box=started"), ("抄送", "box=cc")):
        assert f'href="/workflow/inbox/?{query}"' in menu and f"</i> {label}</a>" in menu
    done_page = squeeze(sidebar(web["head"].get("/workflow/inbox/?box=done").content.decode()))
    assert 'active fw-bold" href="/workflow/inbox/?box=done" aria-current="page"' in done_page
    assert done_page.count('aria-current="page"') == 1


def test_inbox_tabs_counts_and_due_badges(leave, people, web, clock):
    clock.set(2026, 9, 21, 9)
    start_leave(people)
    response = web["head"].get("/workflow/inbox/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'hx-trigger="every 30s"' in page and 'data-testid="due-green"' in page
    assert "部门负责人审批" in page and "张三" in page
    # The htmx refresh returns only the inbox body.
    partial = web["head"].get("/workflow/inbox/", HTTP_HX_REQUEST="true").content.decode()
    assert partial.lstrip().startswith('<div id="inbox-body"') and "<html" not in partial
    started = web["applicant"].get("/workflow/inbox/?box=started").content.decode()
    assert "部门负责人审批" in started  # the current step of what he started
    done = web["applicant"].get("/workflow/inbox/?box=done").content.decode()
    assert "填写请假申请" in done


def test_overdue_task_shows_red(leave, people, web, clock):
    from jiedao.timelimits.services import sweep_clocks

    clock.set(2026, 9, 21, 9)
    start_leave(people)
    sweep_clocks(now=at(2026, 9, 30, 9))
    page = web["head"].get("/workflow/inbox/").content.decode()
    assert 'data-testid="due-red"' in page


def test_task_page_renders_the_form_from_json_script(leave, people, web):
    instance = start_leave(people)
    task = task_for(instance, "head")
    response = web["head"].get(f"/workflow/tasks/{task.pk}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="form-schema" type="application/json"' in page and "form-viewer.umd.js" in page
    assert "<script>" not in page  # CSP: no inline scripts
    assert 'data-testid="return-form"' in page and "填写请假申请" in page
    assert web["leader"].get(f"/workflow/tasks/{task.pk}/").status_code == 404
    assert web["outsider"].get(f"/workflow/instances/{instance.pk}/").status_code == 404


def test_complete_from_the_page_with_errors_then_success(leave, people, web):
    instance = start_leave(people)
    task = task_for(instance, "head")
    url = f"/workflow/tasks/{task.pk}/complete/"
    bad = web["head"].post(url, {"form_data": json.dumps({"outcome": "maybe"}), "version": task.version})
    assert bad.status_code == 400 and "「审批意见」的取值不在可选范围内。" in bad.content.decode()
    ok = web["head"].post(
        url, {"form_data": json.dumps({"outcome": "approve"}), "opinion": "同意", "version": task.version}
    )
    assert ok.status_code == 302 and ok["Location"] == "/workflow/inbox/"
    assert steps(instance) == ["report"]
    again = web["head2"].post(url, {"form_data": json.dumps({"outcome": "approve"}), "version": task.version})
    assert again.status_code == 400 and "该任务已由 李主任 办理。" in again.content.decode()


def test_return_and_transfer_from_the_page(leave, people, web):
    instance = start_leave(people)
    task = task_for(instance, "head")
    response = web["head"].post(
        f"/workflow/tasks/{task.pk}/return/",
        {"reason": "请补充", "to_element": "apply", "version": task.version},
    )
    assert response.status_code == 302 and steps(instance) == ["apply"]
    apply_task = task_for(instance, "apply")
    moved = web["applicant"].post(
        f"/workflow/tasks/{apply_task.pk}/transfer/",
        {"to_user": "nobody", "reason": "x", "version": apply_task.version},
    )
    assert moved.status_code == 400 and "该用户不存在或已停用。" in moved.content.decode()


def test_instance_page_shows_history_and_diagram_state(leave, people, web):
    instance = start_leave(people, days=5)
    processes.complete(instance, "head", people.head, {"outcome": "approve"}, opinion="同意，注意交接")
    response = web["applicant"].get(f"/workflow/instances/{instance.pk}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "同意，注意交接" in page and "李主任" in page and "请假天数" in page and "事假" in page
    assert "bpmn-navigated-viewer.production.min.js" in page
    start = page.index('id="wf-diagram-data" type="application/json">') + len(
        'id="wf-diagram-data" type="application/json">'
    )
    data = json.loads(page[start : page.index("</script>", start)])
    assert data["active"] == ["leader"] and {"apply", "head", "gw_days"} <= set(data["completed"])
    assert "flow_days_long" in data["flows"] and "flow_days_short" not in data["flows"]


def test_withdraw_from_the_page(leave, people, web):
    instance = start_leave(people)
    page = web["applicant"].get(f"/workflow/instances/{instance.pk}/").content.decode()
    assert "撤回" in page
    response = web["applicant"].post(f"/workflow/instances/{instance.pk}/withdraw/")
    assert response.status_code == 302 and steps(instance) == ["apply"]


def test_start_page_and_redirect_to_own_first_task(leave, people, web):
    listing = web["applicant"].get("/workflow/start/").content.decode()
    assert "请销假" in listing
    response = web["applicant"].post("/workflow/start/leave/", {"form_data": "{}"})
    task = WorkTask.objects.get(element_id="apply")
    assert response.status_code == 302 and response["Location"] == f"/workflow/tasks/{task.pk}/"


def test_start_form_errors_on_the_page(people, web):
    processes.deploy(people, "joint_review")
    response = web["applicant"].post(
        "/workflow/start/joint_review/", {"form_data": json.dumps({"title": ""})}
    )
    assert response.status_code == 400 and "「事项名称」为必填项。" in response.content.decode()


def test_designer_save_and_deploy(people, web):
    client = web["deployer"]
    created = client.post("/workflow/definitions/new/", {"key": "visit", "name": "走访登记"})
    definition = ProcessDefinition.objects.get(key="visit")
    assert created["Location"] == f"/workflow/definitions/{definition.pk}/edit/"
    page = client.get(created["Location"]).content.decode()
    assert (
        "bpmn-modeler.production.min.js" in page
        and "form-editor.umd.js" in page
        and 'id="wf-designer-config"' in page
    )
    xml, _forms = processes.shipped("leave")
    xml = xml.replace('id="leave"', 'id="visit"').replace('bpmnElement="leave"', 'bpmnElement="visit"')
    refused = client.post(
        f"/workflow/definitions/{definition.pk}/deploy/",
        json.dumps({"bpmn_xml": xml, "forms": {}, "name": "走访登记"}),
        content_type="application/json",
    )
    assert refused.status_code == 400
    errors = refused.json()["errors"]
    assert any("表单「leave_apply」未定义" in e for e in errors)
    definition.refresh_from_db()
    assert definition.status == DefinitionStatus.DRAFT
    _xml, forms = processes.shipped("leave")
    deployed = client.post(
        f"/workflow/definitions/{definition.pk}/deploy/",
        json.dumps({"bpmn_xml": xml, "forms": forms, "name": "走访登记"}),
        content_type="application/json",
    )
    assert deployed.status_code == 200 and deployed.json()["ok"]
    definition.refresh_from_db()
    assert definition.status == DefinitionStatus.DEPLOYED
    export = client.get(f"/workflow/definitions/{definition.pk}/bpmn/")
    assert export["Content-Disposition"] == 'attachment; filename="visit-v1.bpmn"'
    new = client.post(f"/workflow/definitions/{definition.pk}/new-version/")
    assert ProcessDefinition.objects.get(key="visit", version=2).status == DefinitionStatus.DRAFT
    assert new.status_code == 302


def test_import_refuses_xxe(people, web):
    from django.core.files.uploadedfile import SimpleUploadedFile

    payload = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"/>'
    response = web["deployer"].post(
        "/workflow/definitions/new/", {"bpmn_file": SimpleUploadedFile("x.bpmn", payload)}, follow=True
    )
    assert "DOCTYPE" in response.content.decode() and not ProcessDefinition.objects.exists()


def test_designer_needs_the_permission(people, web):
    assert web["applicant"].get("/workflow/definitions/").status_code == 403
    assert web["applicant"].post("/workflow/definitions/new/", {"key": "x"}).status_code == 403


def test_countersign_page_has_no_delegate(people, web):
    processes.deploy(people, "countersign")
    from jiedao.workflow import services

    instance = services.process_start(
        actor=people.applicant,
        definition_key="countersign",
        org=people.applicant.org,
        data={"title": "甲", "content": "乙"},
    )
    task = task_for(instance, "sign", people.office1)
    page = client_for(people.office1).get(f"/workflow/tasks/{task.pk}/").content.decode()
    assert "会签" in page and f"/workflow/tasks/{task.pk}/delegate/" not in page
    assert task.status == TaskStatus.CLAIMED and instance.status == InstanceStatus.RUNNING


def test_the_start_form_sent_again_goes_to_the_request_it_started(leave, people, web):
    """The back button, or a second click after the first answer: the same form starts nothing new."""
    page = web["applicant"].get("/workflow/start/leave/").content.decode()
    token = re.search(r'name="start_token" value="([0-9a-f]{32})"', page).group(1)
    form = {"form_data": "{}", "start_token": token}
    first = web["applicant"].post("/workflow/start/leave/", form)
    again = web["applicant"].post("/workflow/start/leave/", form, follow=True)
    assert again.redirect_chain[-1][0] == first.url
    assert "该申请已发起（" in again.content.decode() and "无需重复提交。" in again.content.decode()
    assert ProcessInstance.objects.filter(definition__key="leave").count() == 1
