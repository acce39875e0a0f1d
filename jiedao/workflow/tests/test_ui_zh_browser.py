"""The designer, task and instance pages in a real browser speak Chinese: the bpmn-js palette, context pad
and replace menu, the form-js editor (palette restricted to what the server accepts) and the form-js
viewer's validation messages; the user-task time limit takes a counting rule."""

import json
import re

import pytest
from playwright.sync_api import expect

from jiedao.core.testing import client_for, sign_in
from jiedao.workflow import services
from jiedao.workflow.models import ProcessDefinition, ProcessInstance
from jiedao.workflow.tests import processes
from jiedao.workflow.tests.processes import start_leave, task_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SERVER_FORM_TYPES = {
    "textfield",
    "textarea",
    "number",
    "datetime",
    "select",
    "radio",
    "checkbox",
    "checklist",
    "text",
    "html",
    "spacer",
    "separator",
    "group",
}


# What a palette or context-pad entry tells the user (tooltip or, in bpmn-js 18's palette, aria-label).
LABELS = "(nodes) => nodes.map((n) => n.title || n.getAttribute('aria-label') || '')"


@pytest.fixture
def page(open_page):
    return open_page(1400, 1000, console=False)


def draft_with_leave(people) -> ProcessDefinition:
    client = client_for(people.deployer)
    client.post("/workflow/definitions/new/", {"key": "visit", "name": "走访登记"})
    definition = ProcessDefinition.objects.get(key="visit")
    xml, forms = processes.shipped("leave")
    xml = xml.replace('id="leave"', 'id="visit"').replace('bpmnElement="leave"', 'bpmnElement="visit"')
    saved = client.post(
        f"/workflow/definitions/{definition.pk}/save/",
        json.dumps({"bpmn_xml": xml, "forms": forms, "name": "走访登记"}),
        content_type="application/json",
    )
    assert saved.status_code == 200, saved.content
    return definition


def test_designer_palette_context_pad_form_editor_and_due_rule_are_chinese(page, live_server, people):
    definition = draft_with_leave(people)
    sign_in(page, people.deployer, live_server)
    page.goto(f"/workflow/definitions/{definition.pk}/edit/")

    # bpmn-js palette
    palette = page.locator(".djs-palette")
    expect(palette.locator('[data-action="hand-tool"]')).to_have_attribute("aria-label", "激活抓手工具")
    expect(palette.locator('[data-action="create.start-event"]')).to_have_attribute(
        "aria-label", "创建开始事件"
    )
    expect(palette.locator('[data-action="create.task"]')).to_have_attribute("aria-label", "创建任务")
    titles = palette.locator(".entry").evaluate_all(LABELS)
    assert titles and not [t for t in titles if t.isascii()], titles

    # context pad and replace menu of a user task
    page.locator('.djs-element[data-element-id="head"]').click()
    pad = page.locator(".djs-context-pad")
    expect(pad.locator('[data-action="append.append-task"]')).to_have_attribute("title", "追加任务")
    expect(pad.locator('[data-action="replace"]')).to_have_attribute("title", "更改元素类型")
    expect(pad.locator('[data-action="delete"]')).to_have_attribute("title", "删除")
    pad_titles = pad.locator(".entry").evaluate_all(LABELS)
    assert not [t for t in pad_titles if t.isascii()], pad_titles
    # the time limit: a counting rule and a number
    rule = page.get_by_label("办理时限计算方式")
    expect(rule).to_have_value("dueWorkingDays")
    expect(page.get_by_label("办理时限（数值）")).to_have_value("3")
    assert rule.locator("option").all_inner_texts() == ["（无）", "工作日", "自然日", "小时"]
    rule.select_option("dueHours")
    page.get_by_label("办理时限（数值）").fill("8")
    page.get_by_label("办理时限（数值）").press("Tab")

    pad.locator('[data-action="replace"]').click()
    menu = page.locator(".djs-popup")
    expect(menu.get_by_text("服务任务", exact=True)).to_be_visible()
    expect(menu.locator(".djs-popup-title")).to_have_text("更改元素类型")
    page.keyboard.press("Escape")

    # form-js editor: Chinese palette with only what the server accepts
    editor = page.locator("#wf-form-editor")
    expect(editor.locator(".fjs-palette-header")).to_have_text("组件")
    expect(editor.locator(".fjs-palette-search")).to_have_attribute("placeholder", "搜索组件")
    types = set(editor.locator(".fjs-palette-field").evaluate_all("(n) => n.map((e) => e.dataset.fieldType)"))
    assert types == SERVER_FORM_TYPES
    textfield = editor.locator('.fjs-palette-field[data-field-type="textfield"]')
    expect(textfield).to_have_text("文本框")
    expect(editor.locator(".fjs-palette-group-title").first).to_have_text("输入")
    # properties panel of a field (of the application form: PostgreSQL's jsonb keeps the forms in its own order)
    page.locator("#wf-form-key").select_option("leave_apply")
    editor.locator(".fjs-form-field-select").first.click()
    panel = editor.locator(".fjs-properties-container")
    expect(panel.get_by_text("常规", exact=True)).to_be_visible()
    expect(panel.get_by_text("校验", exact=True)).to_be_visible()
    expect(panel.get_by_text("字段名称", exact=True)).to_be_attached()
    assert "Field label" not in panel.inner_text() and "Validation" not in panel.inner_text()

    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator("#wf-messages .alert-success")).to_be_visible()
    definition.refresh_from_db()
    assert 'jiedao:dueHours="8"' in definition.bpmn_xml and 'id="head"' in definition.bpmn_xml
    head = definition.bpmn_xml.split('id="head"', 1)[1].split(">", 1)[0]
    assert "dueWorkingDays" not in head and 'jiedao:dueHours="8"' in head
    assert not page.problems


def test_task_form_validation_and_placeholders_are_chinese(page, live_server, people):
    _xml, forms = processes.shipped("leave")
    forms["approve"] = {
        "type": "default",
        "components": [
            {
                "type": "select",
                "key": "outcome",
                "label": "审批意见",
                "values": [{"label": "同意", "value": "approve"}, {"label": "不同意", "value": "reject"}],
                "validate": {"required": True},
            },
            {"type": "textfield", "key": "note", "label": "备注", "validate": {"required": True}},
        ],
    }
    processes.deploy(people, "leave", forms=forms)
    instance = start_leave(people)
    task = task_for(instance, "head")
    sign_in(page, people.head, live_server)
    page.goto(f"/workflow/tasks/{task.pk}/")
    form = page.locator("#wf-form")
    expect(form.locator(".fjs-select-display")).to_have_text("请选择")
    page.get_by_role("button", name="提交").click()
    errors = form.locator(".fjs-form-field-error")
    expect(errors.first).to_have_text("此项为必填项。")
    assert set(errors.all_inner_texts()) == {"此项为必填项。"}
    assert "Field is required" not in form.inner_text()
    assert page.url.endswith(f"/workflow/tasks/{task.pk}/")  # not submitted
    assert not page.problems


def test_date_field_calendar_is_chinese_and_starts_on_monday(page, live_server, people):
    processes.deploy(people, "leave")
    instance = services.process_start(
        actor=people.applicant, definition_key="leave", org=people.applicant.org, data={}
    )
    task = task_for(instance, "apply")
    sign_in(page, people.applicant, live_server)
    page.goto(f"/workflow/tasks/{task.pk}/")
    page.locator("#wf-form").get_by_label("开始日期").click()
    calendar = page.locator(".flatpickr-calendar.open")
    expect(calendar).to_be_visible()
    weekdays = calendar.locator(".flatpickr-weekday").all_inner_texts()
    assert [w.strip() for w in weekdays] == ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]
    month = calendar.locator("select.flatpickr-monthDropdown-months").evaluate(
        "s => s.options[s.selectedIndex].text"
    )
    assert re.fullmatch(r"[一二三四五六七八九十]+月", month), month
    day = calendar.locator(".flatpickr-day:not(.prevMonthDay):not(.nextMonthDay)", has_text="15").first
    assert re.fullmatch(r"\d{4}年\d{1,2}月15日", day.get_attribute("aria-label"))
    day.click()
    assert page.locator("#wf-form").get_by_label("开始日期").input_value()  # the chosen date is filled in
    assert not page.problems


def test_instance_without_diagram_shows_a_chinese_message(page, live_server, people):
    processes.deploy(people, "leave")
    instance = start_leave(people)
    definition = instance.definition
    # A definition imported without its <bpmndi:BPMNDiagram> section (the engine does not need one).
    xml = definition.bpmn_xml
    start, end = xml.find("<bpmndi:BPMNDiagram"), xml.find("</bpmndi:BPMNDiagram>")
    assert start > 0 and end > start
    type(definition).objects.filter(pk=definition.pk).update(
        bpmn_xml=xml[:start] + xml[end + len("</bpmndi:BPMNDiagram>") :]
    )
    sign_in(page, people.applicant, live_server)
    page.goto(f"/workflow/instances/{instance.pk}/")
    expect(page.get_by_test_id("diagram-error")).to_have_text("该流程定义没有图形信息，无法显示流程图。")
    assert ProcessInstance.objects.filter(pk=instance.pk).exists()
