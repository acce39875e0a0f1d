"""The task page: what is being approved, and a decision nobody took for you."""

import json
import re

import pytest

from jiedao.core.testing import client_for
from jiedao.workflow import formschema, selectors
from jiedao.workflow.tests.processes import complete, start_leave, task_for


def form_initial(page: str) -> dict:
    found = re.search(r'<script id="form-initial" type="application/json">(.*?)</script>', page, re.S)
    return json.loads(found.group(1))


@pytest.fixture
def long_leave(leave, people):
    instance = start_leave(people, days=5)
    complete(instance, "head", people.head, {"outcome": "approve"})
    return instance


def test_leaders_decision_is_not_prefilled_with_the_heads(long_leave, people):
    task = task_for(long_leave, "leader", people.leader)
    page = client_for(people.leader).get(f"/workflow/tasks/{task.pk}/").content.decode()
    initial = form_initial(page)
    assert "outcome" not in initial  # 同意 is not already checked
    assert initial["days"] == 5  # the rest of the data stays available to the form


def test_a_returned_step_redone_starts_from_what_it_submitted(leave, people):
    from jiedao.workflow import services

    instance = start_leave(people, days=5)
    head_task = task_for(instance, "head", people.head)
    services.task_return(actor=people.head, task=head_task, reason="请补充", to_element="apply")
    redo = task_for(instance, "apply", people.applicant)
    initial = selectors.task_initial(redo, instance.definition.forms["leave_apply"])
    assert initial["days"] == 5 and initial["reason"] == "家中有事"


def test_task_page_shows_the_application_with_form_labels(long_leave, people):
    task = task_for(long_leave, "leader", people.leader)
    page = client_for(people.leader).get(f"/workflow/tasks/{task.pk}/").content.decode()
    section = page[page.index('data-testid="task-data"') : page.index('id="form-title"')]
    assert "申请内容" in section
    text = " ".join(re.sub(r"<[^>]+>", " ", section).split())
    assert "请假类型 事假" in text and "开始日期 2026-10-12" in text and "请假天数 5" in text
    assert "审批意见" not in text  # what this step decides is on the form, not in the table


def test_date_and_time_fields_are_named_by_their_date_and_time_labels():
    schema = {
        "components": [
            {"type": "datetime", "key": "use_date", "subtype": "date", "dateLabel": "使用日期"},
            {"type": "datetime", "key": "use_time", "subtype": "time", "timeLabel": "使用时间"},
        ]
    }
    assert formschema.field_labels(schema) == {"use_date": "使用日期", "use_time": "使用时间"}
    _cleaned, errors = formschema.validate_data(schema, {"use_date": "明天"})
    assert errors == {"use_date": ["「使用日期」应为有效的日期（YYYY-MM-DD）。"]}


@pytest.mark.parametrize("action", ["transfer", "delegate"])
def test_handing_on_to_an_unknown_username_says_so(leave, people, action):
    instance = start_leave(people)
    task = task_for(instance, "head", people.head)
    response = client_for(people.head).post(
        f"/workflow/tasks/{task.pk}/{action}/", {"to_user": "nobody-here", "reason": "出差"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "该用户不存在或已停用。" in page and "请选择办理人。" not in page
    assert task_for(instance, "head", people.head).owner_id is None  # nothing handed on
    empty = client_for(people.head).post(
        f"/workflow/tasks/{task.pk}/{action}/", {"to_user": " ", "reason": "出差"}
    )
    assert "请选择办理人。" in empty.content.decode()


def test_a_colleague_is_found_by_the_full_name_typed_unless_two_share_it(leave, people):
    instance = start_leave(people)
    task = task_for(instance, "head", people.head)
    head = client_for(people.head)
    people.office2.full_name = "陈书记"  # the leader's namesake
    people.office2.save(update_fields=["full_name"])
    twice = head.post(f"/workflow/tasks/{task.pk}/transfer/", {"to_user": "陈书记", "reason": "出差"})
    assert twice.status_code == 400
    assert "有多位名为“陈书记”的用户，请从列表中选择（按用户名区分）。" in twice.content.decode()

    people.office2.full_name = "office2"
    people.office2.save(update_fields=["full_name"])
    response = head.post(f"/workflow/tasks/{task.pk}/transfer/", {"to_user": " 陈书记 ", "reason": "出差"})
    assert response.status_code == 302
    assert task_for(instance, "head", people.leader).assignee == people.leader
