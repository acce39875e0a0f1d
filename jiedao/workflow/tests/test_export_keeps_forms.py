"""A definition exported and imported again keeps its forms and deploys."""

import json

from django.core.files.uploadedfile import SimpleUploadedFile

from jiedao.core.testing import client_for
from jiedao.workflow import formschema, services
from jiedao.workflow.choices import DefinitionStatus
from jiedao.workflow.models import ProcessDefinition
from jiedao.workflow.tests import processes
from jiedao.workflow.tests.processes import LEAVE, complete


def test_export_then_import_keeps_the_forms_and_deploys(people):
    original = processes.deploy(people, "leave")
    web = client_for(people.deployer)
    exported = web.get(f"/workflow/definitions/{original.pk}/bpmn/")
    assert exported.status_code == 200
    content = exported.content.decode()
    assert "<jiedao:forms" in content and "leave_apply" in content
    response = web.post(
        "/workflow/definitions/new/",
        {"bpmn_file": SimpleUploadedFile("leave-v1.bpmn", exported.content)},
    )
    assert response.status_code == 302
    draft = ProcessDefinition.objects.get(key="leave", status=DefinitionStatus.DRAFT)
    assert draft.forms == original.forms
    assert "jiedao:forms" not in draft.bpmn_xml  # the forms live in the definition, not twice
    deployed = services.definition_deploy(actor=people.deployer, definition=draft)
    assert deployed.status == DefinitionStatus.DEPLOYED
    instance = services.process_start(
        actor=people.applicant, definition_key="leave", org=people.applicant.org, data={}
    )
    assert instance.definition_id == deployed.pk
    complete(instance, "apply", people.applicant, LEAVE)
    assert instance.data["leave_type"] == "personal"
    # a second export of the imported copy carries the same forms once
    again = web.get(f"/workflow/definitions/{deployed.pk}/bpmn/").content.decode()
    assert again.count("<jiedao:forms") == 1


def test_an_embedded_form_that_is_not_json_is_refused(people):
    xml, forms = processes.shipped("leave")
    broken = formschema.embed_forms(xml, {"approve": forms["approve"]}).replace(
        json.dumps(forms["approve"], ensure_ascii=False)[:20], "{not json"
    )
    response = client_for(people.deployer).post(
        "/workflow/definitions/new/",
        {"bpmn_file": SimpleUploadedFile("x.bpmn", broken.encode())},
        follow=True,
    )
    assert "文件中的表单「approve」不是有效的 JSON。" in response.content.decode()
    assert not ProcessDefinition.objects.filter(key="leave").exists()
