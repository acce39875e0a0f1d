"""The designer's files: 导出 .bpmn carries the forms, 导入 .bpmn brings a file's forms into the form list,
and a draft too large to save is answered in the designer's JSON with a Chinese message."""

import json

import pytest
from playwright.sync_api import expect

from jiedao.core.testing import client_for, sign_in
from jiedao.workflow.models import ProcessDefinition
from jiedao.workflow.tests.test_ui_zh_browser import draft_with_leave


@pytest.fixture
def page(open_page):
    return open_page(1400, 1000, console=False)


@pytest.mark.django_db
def test_a_draft_too_large_to_save_gets_a_chinese_json_answer(people):
    definition = draft_with_leave(people)
    body = json.dumps({"bpmn_xml": "x" * (3 * 1024 * 1024), "forms": {}, "name": "走访登记"})
    answer = client_for(people.deployer).post(
        f"/workflow/definitions/{definition.pk}/save/", body, content_type="application/json"
    )
    assert answer.status_code == 400
    assert answer.json() == {"ok": False, "errors": ["流程过大：BPMN 与表单合计不能超过 2 MB。"]}
    assert ProcessDefinition.objects.get(pk=definition.pk).bpmn_xml.count("visit") > 0  # unchanged


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_export_carries_the_forms_and_import_brings_them_back(page, live_server, people, tmp_path):
    source = draft_with_leave(people)
    sign_in(page, people.deployer, live_server)
    page.goto(f"/workflow/definitions/{source.pk}/edit/")
    expect(page.locator('.djs-element[data-element-id="head"]')).to_be_visible()
    with page.expect_download() as download:
        page.locator("#wf-export").click()
    exported = tmp_path / "visit.bpmn"
    download.value.save_as(exported)
    text = exported.read_text()
    assert text.count("<jiedao:form ") == 3 and '"key":"leave_type"' in text.replace(" ", "")

    # a new draft of the same key (its first version) takes the file in the designer: the forms come too
    client = client_for(people.deployer)
    source.delete()
    client.post("/workflow/definitions/new/", {"key": "visit", "name": "走访登记"})
    target = ProcessDefinition.objects.get(key="visit")
    page.goto(f"/workflow/definitions/{target.pk}/edit/")
    expect(page.locator('.djs-element[data-element-id="approve"]')).to_be_visible()
    expect(page.locator("#wf-form-key option")).to_have_count(0)
    page.locator("#wf-import").set_input_files(str(exported))
    expect(page.locator('.djs-element[data-element-id="head"]')).to_be_visible()
    expect(page.locator("#wf-form-key option")).to_have_count(3)
    expect(page.locator("#wf-form-editor .fjs-form-field-label").first).to_be_visible()
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#wf-deploy").click()
    expect(page.get_by_test_id("designer-readonly")).to_be_visible()
    target.refresh_from_db()
    assert target.status == "deployed" and sorted(target.forms) == ["approve", "leave_apply", "leave_report"]
    assert "jiedao:forms" not in target.bpmn_xml
