"""The designer: a deployed version is shown read-only; a new form's key is checked
in front of the user; the remaining English is gone; assignees are picked from a list."""

import re

import pytest
from playwright.sync_api import expect

from jiedao.core.testing import client_for, sign_in
from jiedao.workflow.tests.test_ui_zh_browser import draft_with_leave


@pytest.fixture
def page(open_page):
    return open_page(1400, 1000, console=False)


@pytest.mark.django_db
def test_a_deployed_version_loads_the_viewers_and_says_it_is_read_only(leave, people):
    page = client_for(people.deployer).get(f"/workflow/definitions/{leave.pk}/edit/").content.decode()
    assert "已发布的版本只读；如需修改请新建版本" in page and "基于此版本新建草稿" in page
    assert "bpmn-navigated-viewer.production.min.js" in page and "form-viewer.umd.js" in page
    assert "bpmn-modeler" not in page and "form-editor.umd.js" not in page
    assert 'id="wf-save"' not in page and 'id="wf-form-add"' not in page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_deployed_version_has_no_palette_no_context_pad_and_a_read_only_form(
    page, live_server, leave, people
):
    sign_in(page, people.deployer, live_server)
    page.goto(f"/workflow/definitions/{leave.pk}/edit/")
    expect(page.get_by_test_id("designer-readonly")).to_contain_text("已发布的版本只读；如需修改请新建版本")
    expect(page.locator('.djs-element[data-element-id="head"]')).to_be_visible()
    expect(page.locator(".djs-palette")).to_have_count(0)
    page.locator('.djs-element[data-element-id="head"]').click()
    expect(page.locator(".djs-context-pad")).to_have_count(0)
    # the properties are shown, disabled
    expect(page.locator("#wf-prop-name")).to_have_value("部门负责人审批")
    expect(page.locator("#wf-prop-name")).to_be_disabled()
    # the form as the applicant will see it, read-only; no editor palette
    form = page.locator("#wf-form-editor")
    expect(form.locator(".fjs-form")).to_be_visible()
    expect(form.locator(".fjs-palette")).to_have_count(0)
    page.locator("#wf-form-key").select_option("leave_apply")
    reason = form.locator("textarea").first
    expect(reason).to_be_visible()
    assert reason.evaluate("(e) => e.readOnly || e.disabled")
    fields = form.locator(".fjs-form-field-select, .fjs-form-field-datetime, .fjs-form-field-number")
    assert fields.evaluate_all(
        "(nodes) => nodes.length > 0 && nodes.every((e) => e.matches('.fjs-readonly'))"
    )
    expect(page.get_by_role("button", name="基于此版本新建草稿")).to_be_visible()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_draft_still_has_the_modeler(page, live_server, people):
    definition = draft_with_leave(people)
    sign_in(page, people.deployer, live_server)
    page.goto(f"/workflow/definitions/{definition.pk}/edit/")
    expect(page.locator(".djs-palette")).to_be_visible()
    expect(page.get_by_test_id("designer-readonly")).to_have_count(0)
    expect(page.locator("#wf-form-editor .fjs-palette")).to_be_visible()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_new_form_key_that_breaks_the_rule_is_refused_beside_the_field(page, live_server, people):
    definition = draft_with_leave(people)
    sign_in(page, people.deployer, live_server)
    page.goto(f"/workflow/definitions/{definition.pk}/edit/")
    key = page.get_by_label("新表单的标识")
    assert "以字母开头，只含字母、数字和下划线" in key.get_attribute("title")
    expect(page.locator("#wf-form-new-key-help")).to_have_text("以字母开头，只含字母、数字和下划线。")
    before = page.locator("#wf-form-key option").count()
    key.fill("用车审批表")
    page.get_by_role("button", name="新建表单").click()
    expect(page.get_by_test_id("form-key-error")).to_have_text(
        "表单标识「用车审批表」无效：应以字母开头，只含字母、数字和下划线（最多 64 个字符），如 car_apply。"
    )
    expect(key).to_have_class(re.compile("is-invalid"))
    expect(page.locator("#wf-form-key option")).to_have_count(before)
    key.fill("leave_apply")
    page.get_by_role("button", name="新建表单").click()
    expect(page.get_by_test_id("form-key-error")).to_have_text("已有标识为「leave_apply」的表单。")
    key.fill("car_apply")
    expect(page.get_by_test_id("form-key-error")).to_have_text("")
    page.get_by_role("button", name="新建表单").click()
    expect(page.locator("#wf-form-key")).to_have_value("car_apply")
    expect(page.locator("#wf-form-key option")).to_have_count(before + 1)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_form_editor_header_and_the_select_preview_are_chinese(page, live_server, people):
    definition = draft_with_leave(people)
    sign_in(page, people.deployer, live_server)
    page.goto(f"/workflow/definitions/{definition.pk}/edit/")
    page.locator("#wf-form-key").select_option("leave_apply")
    editor = page.locator("#wf-form-editor")
    expect(editor.locator(".bio-properties-panel-header-type")).to_have_text("表单")
    expect(editor.locator(".fjs-form-field-select .fjs-select-placeholder").first).to_have_text("请选择")


@pytest.mark.django_db
def test_the_designer_page_carries_the_active_business_roles_for_the_picker(people):
    import json

    from jiedao.accounts.models import Role

    definition = draft_with_leave(people)
    Role.objects.filter(code="dept-c").update(is_active=False)
    page = client_for(people.deployer).get(f"/workflow/definitions/{definition.pk}/edit/").content.decode()
    start = page.index('id="wf-designer-config" type="application/json">') + len(
        'id="wf-designer-config" type="application/json">'
    )
    config = json.loads(page[start : page.index("</script>", start)])
    codes = {role["code"]: role["name"] for role in config["roles"]}
    assert codes["approver"] == "角色approver" and "dept-c" not in codes
    assert not Role.objects.filter(code__in=codes).exclude(admin_duty="").exists()
    anchors = {a["value"]: a["label"] for a in config["anchors"]}
    assert anchors["applicant_subdistrict"] == "申请人所在街道" and anchors[""].startswith("就近")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_candidate_groups_are_picked_by_role_name_and_level(page, live_server, people):
    definition = draft_with_leave(people)
    sign_in(page, people.deployer, live_server)
    page.goto(f"/workflow/definitions/{definition.pk}/edit/")
    page.locator('.djs-element[data-element-id="head"]').click()
    groups = page.locator("#wf-prop-candidateGroups")
    expect(groups).to_have_value("role:approver")
    page.get_by_label("选择角色").select_option(label="角色subdistrict-leader（subdistrict-leader）")
    page.get_by_label("在哪一级找该角色").select_option(label="申请人所在街道")
    page.get_by_role("button", name="加入候选组").click()
    expect(groups).to_have_value("role:approver,orgrole:subdistrict-leader@applicant_subdistrict")
    page.get_by_label("选择角色").select_option(label="角色office-staff（office-staff）")
    page.get_by_label("在哪一级找该角色").select_option(label="就近（流程所属组织，没有则逐级向上）")
    page.get_by_role("button", name="加入候选组").click()
    expect(groups).to_have_value(
        "role:approver,orgrole:subdistrict-leader@applicant_subdistrict,role:office-staff"
    )
    assert page.locator("#wf-prop-assignee").get_attribute("list") == "wf-assignee-options"
    assert (
        page.locator('#wf-assignee-options option[value="user:head"]').get_attribute("label")
        == "李主任（甲街道）"
    )
    # the choice went into the diagram (what gets saved): it is still there when the task is selected again
    canvas = page.locator("#wf-canvas")
    box = canvas.bounding_box()
    canvas.click(position={"x": box["width"] - 10, "y": box["height"] - 10})
    expect(page.locator("#wf-prop-candidateGroups")).to_have_count(0)
    page.locator('.djs-element[data-element-id="head"]').click()
    expect(page.locator("#wf-prop-candidateGroups")).to_have_value(
        "role:approver,orgrole:subdistrict-leader@applicant_subdistrict,role:office-staff"
    )


@pytest.mark.django_db
def test_the_designer_offers_named_handlers_who_may_handle_the_process(people):
    from jiedao.workflow.selectors import designer_user_choices

    definition = draft_with_leave(people)
    named = {choice["username"] for choice in designer_user_choices(definition)}
    # staff of the process's sub-district who handle its instances; not another sub-district's, not a
    # community clerk (a single community), not someone without the workflow's view permission
    assert {"head", "leader", "supervisor"} <= named
    assert not named & {"outsider", "applicant", "applicant2"}
    page = client_for(people.deployer).get(f"/workflow/definitions/{definition.pk}/edit/").content.decode()
    assert '"username": "head"' in page
