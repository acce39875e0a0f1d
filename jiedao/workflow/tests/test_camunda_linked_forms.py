"""Camunda 8.4+ linked forms: a user task names its form by id (``zeebe:formDefinition formId``) and the form
lives in its own .form file. Imported together with the .bpmn (chosen together, or in one .zip, or in the
API's form_files), each linked form becomes the task's form as an embedded one does; what does not fit is
said naming the file."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from jiedao.accounts.models import Role
from jiedao.core.exceptions import ValidationFailed
from jiedao.core.testing import api_client_for, client_for
from jiedao.workflow import services
from jiedao.workflow.models import ProcessDefinition
from jiedao.workflow.tests.processes import complete, open_tasks, steps
from jiedao.workflow.tests.test_vendor_import import FILES, candidates, vendor_file

BPMN = "camunda8_linked.bpmn"
FORMS = ("baoxiu-check.form", "baoxiu-approve.form")


@pytest.fixture
def dept_leaders(people):
    """The role the file's candidate group 部门负责人 names: the approvers under that Chinese name."""
    Role.objects.filter(code="approver").update(name="部门负责人")
    return people


def upload(name: str, content: str | bytes | None = None) -> SimpleUploadedFile:
    if content is None:
        content = vendor_file(name)
    return SimpleUploadedFile(name, content.encode() if isinstance(content, str) else content)


def import_files(people, *files) -> tuple[ProcessDefinition | None, list[str], list[str]]:
    """The draft the 导入为草稿 of the definition list made (None if refused), and the messages shown:
    (errors, warnings)."""
    answer = client_for(people.deployer).post(
        "/workflow/definitions/new/", {"bpmn_file": list(files)}, follow=True
    )
    shown = list(answer.context["messages"])
    return (
        ProcessDefinition.objects.filter(key="baoxiu_review").first(),
        [str(m) for m in shown if m.level_tag == "error"],
        [str(m) for m in shown if m.level_tag == "warning"],
    )


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def start(people):
    return services.process_start(
        actor=people.applicant, definition_key="baoxiu_review", org=people.applicant.org, data={}
    )


def labels(user, task) -> list[str]:
    """The labels of the form the task's handler sees."""
    answer = api_client_for(user).get(f"/api/v1/tasks/{task.pk}/")
    assert answer.status_code == 200, answer.json()
    return [c["label"] for c in answer.json()["form"]["components"]]


def test_a_process_whose_tasks_link_two_form_files_imports_deploys_and_checks_their_fields(
    dept_leaders, people, clock
):
    draft, errors, warnings = import_files(people, upload(BPMN), *(upload(name) for name in FORMS))
    assert (errors, warnings) == ([], [])
    assert "zeebe:" not in draft.bpmn_xml
    assert sorted(draft.forms) == ["form_Activity_0check", "form_Activity_1approve"]
    services.definition_deploy(actor=people.deployer, definition=draft)

    instance = start(people)
    assert candidates(instance, "Activity_0check") == {"head", "head2"}
    task = open_tasks(instance, "Activity_0check")[0]
    assert labels(people.head, task) == ["核实结果", "维修费用估算（元）"]
    # the form's rules hold on the server: a required choice, a minimum
    with pytest.raises(ValidationFailed) as refused:
        complete(instance, "Activity_0check", people.head, {"estimatedCost": -5})
    assert refused.value.errors["checkResult"] == ["「核实结果」为必填项。"]
    assert "estimatedCost" in refused.value.errors
    complete(instance, "Activity_0check", people.head, {"checkResult": "confirmed", "estimatedCost": 320})
    assert steps(instance) == ["Activity_1approve"]
    assert labels(people.leader, open_tasks(instance)[0]) == ["审批意见"]
    complete(instance, "Activity_1approve", people.leader, {"approveOpinion": "同意维修"})
    assert instance.status == "completed"


def test_a_zip_of_the_project_imports_like_the_files_chosen_together(dept_leaders, people):
    content = zipped(
        {
            "baoxiu/baoxiu.bpmn": vendor_file(BPMN).encode(),
            "baoxiu/forms/baoxiu-check.form": vendor_file(FORMS[0]).encode(),
            "baoxiu/forms/baoxiu-approve.form": vendor_file(FORMS[1]).encode(),
            "baoxiu/README.md": "设施报修".encode(),  # other files of the project folder are passed over
            "__MACOSX/baoxiu/forms/._baoxiu-check.form": b"\x00\x05\x16\x07",
        }
    )
    draft, errors, warnings = import_files(people, upload("baoxiu.zip", content))
    assert (errors, warnings) == ([], [])
    assert sorted(draft.forms) == ["form_Activity_0check", "form_Activity_1approve"]
    services.definition_deploy(actor=people.deployer, definition=draft)


def test_a_linked_form_without_its_file_says_to_import_the_form_file_with_it(dept_leaders, people):
    draft, errors, warnings = import_files(people, upload(BPMN), upload(FORMS[0]))
    assert errors == []
    assert warnings == [
        "用户任务「领导审批」（Activity_1approve）链接的表单「baoxiu-approve」（zeebe:formDefinition formId）的表单文件"
        "没有一起导入，已移除：请同时选择流程文件和该表单的 .form 文件（或把它们压缩成一个 .zip）重新导入，"
        "或在设计器中为该环节新建表单。"
    ]
    assert sorted(draft.forms) == ["form_Activity_0check"]


def test_a_form_file_that_is_not_a_camunda_form_is_named(dept_leaders, people):
    no_id = json.dumps({"components": [], "type": "default"})
    draft, errors, warnings = import_files(
        people,
        upload(BPMN),
        *(upload(name) for name in FORMS),
        upload("broken.form", '{"components": ['),
        upload("no-id.form", no_id),
    )
    assert errors == [] and draft is not None
    assert warnings == [
        "表单文件「broken.form」不是有效的 Camunda 表单（应为含 id 和 components 的 JSON），未导入。",
        "表单文件「no-id.form」不是有效的 Camunda 表单（应为含 id 和 components 的 JSON），未导入。",
    ]


def test_a_form_file_no_task_links_is_reported_and_refused_on_deploy(dept_leaders, people):
    unused = vendor_file(FORMS[1]).replace('"id": "baoxiu-approve"', '"id": "baoxiu-survey"')
    message = (
        "表单文件「baoxiu-survey.form」（表单标识「baoxiu-survey」）没有环节链接它（zeebe:formDefinition formId），"
        "未导入：请在 Camunda Modeler 中为环节链接该表单，或不选择该文件。"
    )
    draft, errors, warnings = import_files(
        people, upload(BPMN), *(upload(name) for name in FORMS), upload("baoxiu-survey.form", unused)
    )
    assert errors == [] and warnings == [message]
    assert "baoxiu-survey" not in json.dumps(draft.forms)
    # deployed in one go (the API), the same file is a reason to refuse
    api = api_client_for(people.deployer)
    form_files = [{"name": name, "content": vendor_file(name)} for name in FORMS]
    refused = api.post(
        "/api/v1/process-definitions/",
        {
            "bpmn_xml": vendor_file(BPMN),
            "form_files": [*form_files, {"name": "baoxiu-survey.form", "content": unused}],
        },
        format="json",
    )
    assert refused.status_code == 400 and message in refused.json()["errors"]["bpmn_xml"]
    deployed = api.post(
        "/api/v1/process-definitions/",
        {"bpmn_xml": vendor_file(BPMN), "form_files": form_files},
        format="json",
    )
    assert deployed.status_code == 201, deployed.json()
    assert sorted(deployed.json()["forms"]) == ["form_Activity_0check", "form_Activity_1approve"]


def test_the_apis_form_files_keep_the_imports_size_limits(dept_leaders, people):
    api = api_client_for(people.deployer)
    form_files = [{"name": name, "content": vendor_file(name)} for name in FORMS]
    padded = vendor_file(FORMS[1]).replace(
        '"type": "default"', '"type": "default", "pad": "' + "x" * 2_100_000 + '"'
    )
    refused = api.post(
        "/api/v1/process-definitions/",
        {"bpmn_xml": vendor_file(BPMN), "form_files": [form_files[0], {"name": FORMS[1], "content": padded}]},
        format="json",
    )
    assert refused.status_code == 400
    assert refused.json()["errors"]["form_files"] == [f"文件「{FORMS[1]}」过大（不超过 2 MB）。"]
    # together over 5 MB (more than one JSON request carries: given to the service as another caller would)
    three = [(f"part{n}.form", "x" * 1_900_000) for n in range(3)]
    with pytest.raises(ValidationFailed) as refused:
        services.definition_deploy_xml(
            actor=people.deployer, org=people.deployer.org, bpmn_xml=vendor_file(BPMN), form_files=three
        )
    assert refused.value.errors == {
        "form_files": ["导入的文件合计过大（含压缩包解压后的大小，不超过 5 MB）。"]
    }
    assert not ProcessDefinition.objects.filter(key="baoxiu_review").exists()


def test_two_form_files_with_the_same_id_are_named(dept_leaders, people):
    _draft, _errors, warnings = import_files(
        people, upload(BPMN), *(upload(name) for name in FORMS), upload("copy.form", vendor_file(FORMS[0]))
    )
    assert warnings == [
        "表单文件「copy.form」与「baoxiu-check.form」的表单标识同为「baoxiu-check」，只使用了「baoxiu-check.form」："
        "请只保留其中一个。"
    ]


def test_zips_too_large_when_inflated_or_with_too_many_members_are_refused(dept_leaders, people):
    # a few kilobytes that inflate to 6 MB
    bomb = zipped({"baoxiu.bpmn": vendor_file(BPMN).encode(), "big.form": b" " * (6 * 1024 * 1024)})
    assert len(bomb) < 64 * 1024
    draft, errors, _warnings = import_files(people, upload("bomb.zip", bomb))
    assert draft is None
    assert errors == ["导入的文件合计过大（含压缩包解压后的大小，不超过 5 MB）。"]

    many = zipped(
        {f"forms/f{n}.form": b"{}" for n in range(60)} | {"baoxiu.bpmn": vendor_file(BPMN).encode()}
    )
    draft, errors, _warnings = import_files(people, upload("many.zip", many))
    assert draft is None and errors == ["文件过多：一次最多导入 50 个文件（含压缩包中的文件）。"]

    one_big = zipped({"baoxiu.bpmn": vendor_file(BPMN).encode(), "big.form": b" " * (3 * 1024 * 1024)})
    draft, errors, _warnings = import_files(people, upload("one-big.zip", one_big))
    assert draft is None and errors == ["文件「big.form」过大（不超过 2 MB）。"]

    draft, errors, _warnings = import_files(people, upload("broken.zip", b"PK\x03\x04 not a zip"))
    assert draft is None and errors == [
        "压缩包「broken.zip」无法读取：请上传由流程文件（.bpmn）和表单文件（.form）直接压缩成的 .zip 文件。"
    ]


def test_an_import_needs_exactly_one_process_file(dept_leaders, people):
    draft, errors, _warnings = import_files(people, *(upload(name) for name in FORMS))
    assert draft is None and errors == [
        "没有流程文件：请选择流程的 .bpmn 文件（可同时选择它链接的表单文件 .form），或包含它们的 .zip 压缩包。"
    ]
    draft, errors, _warnings = import_files(people, upload(BPMN), upload("copy.bpmn", vendor_file(BPMN)))
    assert draft is None and errors == [
        "一次只能导入一个流程文件，收到了 2 个：camunda8_linked.bpmn、copy.bpmn。"
    ]


def test_the_designers_import_takes_the_form_files_or_a_zip_and_answers_with_their_forms(
    dept_leaders, people
):
    client = client_for(people.deployer)
    client.post("/workflow/definitions/new/", {"key": "baoxiu_review", "name": "设施报修审核"})
    draft = ProcessDefinition.objects.get(key="baoxiu_review")
    url = f"/workflow/definitions/{draft.pk}/import/"
    chosen = client.post(url, {"bpmn_file": [upload(BPMN), upload(FORMS[0])]})
    assert chosen.status_code == 200
    body = chosen.json()
    assert sorted(body["forms"]) == ["form_Activity_0check"]
    assert [c["key"] for c in body["forms"]["form_Activity_0check"]["components"]] == [
        "checkResult",
        "estimatedCost",
    ]
    assert any(
        "链接的表单「baoxiu-approve」" in problem and ".form 文件" in problem for problem in body["problems"]
    ), body["problems"]
    project = zipped(
        {"baoxiu.bpmn": vendor_file(BPMN).encode()} | {n: vendor_file(n).encode() for n in FORMS}
    )
    body = client.post(url, {"bpmn_file": upload("baoxiu.zip", project)}).json()
    assert sorted(body["forms"]) == ["form_Activity_0check", "form_Activity_1approve"]
    assert body["problems"] == []
    refused = client.post(url, {"bpmn_file": upload("baoxiu.zip", b"not a zip")})
    assert refused.status_code == 400 and refused.json()["errors"] == [
        "压缩包「baoxiu.zip」无法读取：请上传由流程文件（.bpmn）和表单文件（.form）直接压缩成的 .zip 文件。"
    ]
    draft.refresh_from_db()
    assert "baoxiu" not in json.dumps(draft.forms)  # nothing saved until the administrator saves


@pytest.fixture
def page(open_page):
    return open_page(1400, 1000, console=False)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_designer_imports_a_bpmn_with_its_form_files_and_deploys(page, live_server, dept_leaders, people):
    from playwright.sync_api import expect

    from jiedao.core.testing import sign_in

    client = client_for(people.deployer)
    client.post("/workflow/definitions/new/", {"key": "baoxiu_review", "name": "设施报修审核"})
    draft = ProcessDefinition.objects.get(key="baoxiu_review")
    sign_in(page, people.deployer, live_server)
    page.goto(f"/workflow/definitions/{draft.pk}/edit/")
    page.locator("#wf-import").set_input_files([str(FILES / name) for name in (BPMN, *FORMS)])
    expect(page.locator('.djs-element[data-element-id="Activity_1approve"]')).to_be_visible()
    expect(page.get_by_test_id("import-notes")).to_contain_text("（baoxiu-approve.form）已转换为表单")
    expect(page.get_by_test_id("import-problems")).to_have_count(0)
    expect(page.locator("#wf-form-key option")).to_have_count(2)  # the two linked Camunda Forms
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#wf-deploy").click()
    expect(page.get_by_test_id("designer-readonly")).to_be_visible()
    draft.refresh_from_db()
    assert draft.status == "deployed" and sorted(draft.forms) == [
        "form_Activity_0check",
        "form_Activity_1approve",
    ]
