"""The designer in a real browser: every palette icon has a Chinese tooltip, as the context pad's do, and a
process without forms shows no empty 表单 select and box."""

import pytest
from playwright.sync_api import expect

from jiedao.core.testing import sign_in
from jiedao.workflow import services
from jiedao.workflow.tests.builder import Bpmn

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NO_FORMS = (
    Bpmn("notice", "通知传阅")
    .start()
    .user("read", "阅知", groups="role:approver")
    .end()
    .chain("start", "read", "end")
)


@pytest.fixture
def page(open_page):
    return open_page(1400, 1000, console=False)


def test_palette_icons_have_chinese_tooltips(page, live_server, people):
    draft = services.definition_save_draft(
        actor=people.deployer, org=people.tree.subdistrict_a, bpmn_xml=NO_FORMS.xml(), forms={}
    )
    sign_in(page, people.deployer, live_server)
    page.goto(f"/workflow/definitions/{draft.pk}/edit/")
    palette = page.locator(".djs-palette")
    expect(palette.locator('[data-action="create.start-event"]')).to_have_attribute("title", "创建开始事件")
    expect(palette.locator('[data-action="hand-tool"]')).to_have_attribute("title", "激活抓手工具")
    titles = palette.locator(".entry").evaluate_all("(nodes) => nodes.map((n) => n.title || '')")
    assert titles and all(t and not t.isascii() for t in titles), titles


def test_a_process_without_forms_shows_no_empty_form_select_or_box(page, live_server, people):
    deployed = services.definition_deploy_xml(
        actor=people.deployer, org=people.tree.subdistrict_a, bpmn_xml=NO_FORMS.xml(), forms={}
    )
    sign_in(page, people.deployer, live_server)
    page.goto(f"/workflow/definitions/{deployed.pk}/edit/")
    expect(page.locator(".djs-element[data-element-id='read']")).to_be_visible()
    expect(page.get_by_test_id("forms-none")).to_have_text("本流程没有表单。")
    expect(page.locator("#wf-form-key")).to_be_hidden()
    expect(page.locator("#wf-form-editor")).to_be_hidden()

    # a draft: the box appears once a form is made, and goes when it is deleted again
    draft = services.definition_new_version(actor=people.deployer, definition=deployed)
    page.goto(f"/workflow/definitions/{draft.pk}/edit/")
    expect(page.locator("#wf-form-editor")).to_be_hidden()
    page.locator("#wf-form-new-key").fill("notice_read")
    page.locator("#wf-form-add").click()
    expect(page.locator("#wf-form-editor")).to_be_visible()
    expect(page.locator("#wf-form-key")).to_be_visible()
    page.locator("#wf-form-remove").click()
    expect(page.locator("#wf-form-editor")).to_be_hidden()
    expect(page.get_by_test_id("forms-none")).to_be_visible()
