"""A form's format rule that repeats a repetition ((\\d+)+) is refused on deploy, and one deployed before is
not run on a submission: Python's regex engine would take minutes on a few dozen characters."""

import time

import pytest

from jiedao.workflow import formschema
from jiedao.workflow.tests.builder import Bpmn
from jiedao.workflow.tests.test_deploy import deploy_errors


def form(pattern):
    return {
        "type": "default",
        "components": [
            {
                "type": "textfield",
                "key": "code",
                "label": "编号",
                "validate": {"required": True, "pattern": pattern},
            }
        ],
    }


@pytest.mark.parametrize("pattern", [r"(\d+)+", r"(?:\w+\s?)+$", r"([a-z]+\d?)*", r"(a*)*"])
def test_nested_repetition_is_refused_on_deploy(people, pattern):
    xml = (
        Bpmn("p", "格式")
        .start()
        .user("a", "登记", groups="role:approver", form="f")
        .end()
        .chain("start", "a", "end")
        .xml()
    )
    errors = deploy_errors(people, xml, {"f": form(pattern)})
    assert len(errors) == 1 and errors[0].startswith(
        f"表单「f」的字段「编号」的格式规则「{pattern}」对重复的内容再次重复"
    )


@pytest.mark.parametrize(
    "pattern", [r"\d{6}", r"^1[3-9]\d{9}$", r"(\d{3}-)?\d{8}", r"(ab|cd)*x", r"[A-Z]{2}\d+"]
)
def test_ordinary_rules_pass(pattern):
    assert formschema.validate_schema("f", form(pattern)) == []


def test_a_rule_deployed_before_is_not_run_on_a_submission():
    started = time.monotonic()
    cleaned, errors = formschema.validate_data(form(r"(\d+)+"), {"code": "1" * 28 + "x"})
    assert time.monotonic() - started < 1
    assert errors == {"code": ["「编号」的格式规则有误，暂时无法校验，请联系流程管理员。"]} and cleaned == {}
    assert formschema.validate_data(form(r"\d{6}"), {"code": "123456"}) == ({"code": "123456"}, {})
