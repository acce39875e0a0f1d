"""Drafts on /workflow/definitions/: a new draft never overwrites an open one, a draft older than the
version in use takes the next number when it is deployed, the version in use is marked, and a draft can be
deleted."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from jiedao.audit.models import AuditEvent
from jiedao.core.exceptions import PermissionDenied, ServiceError
from jiedao.core.testing import client_for
from jiedao.workflow import services
from jiedao.workflow.choices import DefinitionStatus
from jiedao.workflow.models import ProcessDefinition
from jiedao.workflow.tests import processes

pytestmark = pytest.mark.django_db


def _imported_draft(people, leave):
    """leave v2: the exported v1 imported as a draft (its forms and diagram, as in the tester's steps)."""
    web = client_for(people.deployer)
    exported = web.get(f"/workflow/definitions/{leave.pk}/bpmn/").content
    web.post("/workflow/definitions/new/", {"bpmn_file": SimpleUploadedFile("leave.bpmn", exported)})
    return ProcessDefinition.objects.get(key="leave", status=DefinitionStatus.DRAFT)


def test_new_with_the_key_of_an_open_draft_keeps_the_draft_and_points_to_it(people, leave):
    draft = _imported_draft(people, leave)
    before = (draft.name, draft.bpmn_xml, draft.forms)
    web = client_for(people.deployer)
    answer = web.post("/workflow/definitions/new/", {"key": "leave", "name": "请销假2"}, follow=True)
    page = answer.content.decode()
    assert "流程「请销假」已有草稿第 2 版，请打开该草稿继续编辑，或先删除它。" in page
    assert f'href="/workflow/definitions/{draft.pk}/edit/"' in page
    draft.refresh_from_db()
    assert (draft.name, draft.bpmn_xml, draft.forms) == before
    assert ProcessDefinition.objects.filter(key="leave").count() == 2


def test_importing_a_file_of_a_process_with_an_open_draft_keeps_the_draft(people, leave):
    draft = _imported_draft(people, leave)
    before = draft.bpmn_xml
    xml = leave.bpmn_xml.replace('name="请销假"', 'name="另一份请销假"')
    answer = client_for(people.deployer).post(
        "/workflow/definitions/new/",
        {"bpmn_file": SimpleUploadedFile("again.bpmn", xml.encode())},
        follow=True,
    )
    assert "已有草稿第 2 版" in answer.content.decode()
    draft.refresh_from_db()
    assert draft.bpmn_xml == before and draft.name == "请销假"


def test_a_new_draft_through_the_service_is_refused_naming_the_open_one(people, leave):
    draft = services.definition_new_version(actor=people.deployer, definition=leave)
    with pytest.raises(services.DraftExists) as refused:
        services.definition_save_draft(
            actor=people.deployer, org=people.tree.subdistrict_a, bpmn_xml=leave.bpmn_xml, forms={}
        )
    assert refused.value.draft == draft and refused.value.code == "draft_exists"


def test_deploying_a_draft_older_than_the_version_in_use_makes_it_the_version_in_use(people, leave):
    draft = services.definition_new_version(actor=people.deployer, definition=leave)  # v2
    newer = processes.deploy(people, "leave")  # v3, through the API's path, while v2 is open
    assert (draft.version, newer.version) == (2, 3)
    web = client_for(people.deployer)
    answer = web.post(
        f"/workflow/definitions/{draft.pk}/deploy/",
        json.dumps({"bpmn_xml": draft.bpmn_xml, "forms": draft.forms, "name": "请销假（新）"}),
        content_type="application/json",
    )
    body = answer.json()
    assert body["ok"], body
    assert "已发布为第 4 版，现为当前版本" in body["message"]
    draft.refresh_from_db()
    assert (draft.status, draft.version) == (DefinitionStatus.DEPLOYED, 4)
    assert services.resolve_definition("leave", people.applicant.org) == draft
    instance = services.process_start(
        actor=people.applicant, definition_key="leave", org=people.applicant.org, data={}
    )
    assert instance.definition == draft


def test_the_list_and_the_designer_mark_the_version_in_use(people, leave):
    newer = processes.deploy(people, "leave")
    web = client_for(people.deployer)
    page = web.get("/workflow/definitions/").content.decode()
    assert page.count("当前版本") == 1 and page.count("已被新版本取代") == 1
    rows = page.split("<tr>")
    (current_row,) = [row for row in rows if "当前版本" in row]
    assert f"/workflow/definitions/{newer.pk}/edit/" in current_row
    assert "当前版本" in web.get(f"/workflow/definitions/{newer.pk}/edit/").content.decode()
    old = web.get(f"/workflow/definitions/{leave.pk}/edit/").content.decode()
    assert "当前版本" not in old and "已被新版本取代" in old


def test_a_draft_can_be_deleted_with_a_confirmation_and_is_audited(people, leave):
    draft = services.definition_new_version(actor=people.deployer, definition=leave)
    web = client_for(people.deployer)
    page = web.get("/workflow/definitions/").content.decode()
    assert f'action="/workflow/definitions/{draft.pk}/delete/"' in page
    assert "删除草稿「请销假」第 2 版？删除后不能恢复。" in page
    assert f'action="/workflow/definitions/{leave.pk}/delete/"' not in page  # deployed: 停用 only
    answer = web.post(f"/workflow/definitions/{draft.pk}/delete/", follow=True)
    assert "已删除草稿：请销假 第 2 版。" in answer.content.decode()
    assert not ProcessDefinition.objects.filter(pk=draft.pk).exists()
    event = AuditEvent.objects.get(event_name="workflow.definition.deleted")
    assert event.actor_id == people.deployer.pk
    # and a new draft can be made again
    again = services.definition_new_version(actor=people.deployer, definition=leave)
    assert again.status == DefinitionStatus.DRAFT


def test_a_deployed_version_cannot_be_deleted(people, leave):
    answer = client_for(people.deployer).post(f"/workflow/definitions/{leave.pk}/delete/", follow=True)
    assert "只有未发布的草稿可以删除" in answer.content.decode()
    assert ProcessDefinition.objects.filter(pk=leave.pk).exists()
    with pytest.raises(ServiceError):
        services.definition_delete_draft(actor=people.deployer, definition=leave)


def test_deleting_a_draft_needs_the_right_to_edit_definitions(people, leave):
    draft = services.definition_new_version(actor=people.deployer, definition=leave)
    assert client_for(people.head).post(f"/workflow/definitions/{draft.pk}/delete/").status_code == 403
    with pytest.raises(PermissionDenied):
        services.definition_delete_draft(actor=people.head, definition=draft)
    assert ProcessDefinition.objects.filter(pk=draft.pk).exists()
