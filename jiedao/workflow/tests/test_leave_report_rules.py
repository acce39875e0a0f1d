"""销假 of the shipped leave process: the 返岗日期 is not before the leave started, and days taken beyond the
approved ones must be explained (超假说明). The rules are the form's own (custom properties `notBefore` and
`requiredIf`), checked on the server and refused on publishing when malformed."""

import json

import pytest

from jiedao.core.exceptions import ValidationFailed
from jiedao.core.testing import client_for
from jiedao.workflow import formschema, services
from jiedao.workflow.choices import InstanceStatus
from jiedao.workflow.tests import processes
from jiedao.workflow.tests.processes import complete, start_leave, task_for


def at_report(people):
    instance = start_leave(people, days=2)  # from 2026-10-12, 2 days
    complete(instance, "head", people.head, {"outcome": "approve"})
    return instance, task_for(instance, "report", people.applicant)


def test_back_to_work_before_the_leave_started_is_refused(leave, people):
    instance, task = at_report(people)
    with pytest.raises(ValidationFailed) as error:
        services.task_complete(
            actor=people.applicant, task=task, form_data={"back_date": "2026-10-09", "actual_days": 2}
        )
    assert error.value.errors == {"back_date": ["「返岗日期」不能早于「开始日期」（2026-10-12）。"]}
    # The page says so too, and the request stays at 销假.
    answer = client_for(people.applicant).post(
        f"/workflow/tasks/{task.pk}/complete/",
        {"form_data": json.dumps({"back_date": "2026-10-09", "actual_days": 2}), "version": task.version},
    )
    assert answer.status_code == 400 and "不能早于「开始日期」" in answer.content.decode()
    instance.refresh_from_db()
    assert instance.status == InstanceStatus.RUNNING


def test_more_days_than_approved_need_an_explanation(leave, people):
    instance, task = at_report(people)
    with pytest.raises(ValidationFailed) as error:
        services.task_complete(
            actor=people.applicant, task=task, form_data={"back_date": "2026-10-19", "actual_days": 5}
        )
    assert error.value.errors == {
        "over_reason": [
            "「超假说明」为必填项：实际请假天数超过批准的请假天数，请说明超出的原因（是否已办理续假）。"
        ]
    }
    services.task_complete(
        actor=people.applicant,
        task=task,
        form_data={"back_date": "2026-10-19", "actual_days": 5, "over_reason": "病情加重，已电话续假"},
    )
    instance.refresh_from_db()
    assert instance.status == InstanceStatus.COMPLETED
    assert instance.data["over_reason"] == "病情加重，已电话续假"


def test_within_the_approved_days_no_explanation_is_asked(leave, people):
    instance, task = at_report(people)
    services.task_complete(
        actor=people.applicant, task=task, form_data={"back_date": "2026-10-14", "actual_days": 2}
    )
    instance.refresh_from_db()
    assert instance.status == InstanceStatus.COMPLETED and "over_reason" not in instance.data


def test_malformed_rules_are_refused_on_publishing():
    schema = {
        "components": [
            {"type": "textfield", "key": "name", "label": "姓名", "properties": {"notBefore": "start"}},
            {"type": "datetime", "key": "day", "label": "日期", "properties": {"notBefore": "a b"}},
            {"type": "textarea", "key": "why", "label": "说明", "properties": {"requiredIf": "open('x')"}},
        ]
    }
    errors = formschema.validate_schema("f", schema)
    assert any("「姓名」不是日期或数字" in e for e in errors)
    assert any("「日期」的 notBefore 应为另一个字段的 key" in e for e in errors)
    assert any("「说明」的 requiredIf 条件无效" in e for e in errors)
    _xml, forms = processes.shipped("leave")
    assert formschema.validate_schema("leave_report", forms["leave_report"]) == []
