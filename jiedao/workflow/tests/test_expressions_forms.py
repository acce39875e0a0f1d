import pytest

from jiedao.workflow import expressions, formschema
from jiedao.workflow.expressions import ExpressionError, evaluate

DATA = {"days": 4, "kind": "sick", "form": {"amount": 12.5, "tags": ["a", "b"]}, "ok": True, "name": "张三"}


@pytest.mark.parametrize(
    "source, expected",
    [
        ("days > 3", True),
        ("days > 3 and kind == 'sick'", True),
        ("not ok or days <= 3", False),
        ("kind in ['sick', 'annual']", True),
        ("kind not in ('annual',)", True),
        ("form['amount'] * 2 >= 25", True),
        ("form['tags'][1] == 'b'", True),
        ("1 < days < 5", True),
        ("days // 3 + days % 3 - 1", 1),
        ("name + '同志'", "张三同志"),
        ("${days > 3 && kind == 'sick'}", True),
        ("#{!ok || days != 4}", False),
        ("kind is not None", True),
        ("true and not false", True),
    ],
)
def test_allowed(source, expected):
    assert evaluate(source, DATA) == expected


@pytest.mark.parametrize(
    "source, fragment",
    [
        ("__import__('os').system('id')", "函数调用"),
        ("days.__class__", "属性访问"),
        ("kind.upper()", "函数调用"),
        ("2 ** 100000", "乘方"),
        ("[x for x in form]", "推导式"),
        ("(lambda: 1)()", "函数调用"),
        ("'a' if ok else 'b'", "条件表达式"),
        ("form['tags'][0:1]", "切片"),
        ("_secret", "下划线"),
        ("days >", "语法错误"),
        ("(y := 1)", "赋值"),
    ],
)
def test_refused(source, fragment):
    with pytest.raises(ExpressionError) as error:
        expressions.check(source)
    assert fragment in str(error.value)


@pytest.mark.parametrize(
    "source, fragment",
    [
        ("missing > 1", "流程变量「missing」不存在"),
        ("'x' * 100000000", "算术运算只能用于数字"),
        ("days * 1000000000000 * 1000000", "超出范围"),
        ("kind > 3", "无法比较"),
        ("days / 0", "除数为零"),
        ("form['nope']", "下标「nope」不存在"),
    ],
)
def test_evaluation_errors(source, fragment):
    with pytest.raises(ExpressionError) as error:
        evaluate(source, DATA)
    assert fragment in str(error.value)


SCHEMA = {
    "components": [
        {"type": "text", "text": "# 说明"},
        {
            "type": "textfield",
            "key": "title",
            "label": "标题",
            "validate": {"required": True, "maxLength": 5},
        },
        {"type": "textfield", "key": "mobile", "label": "手机", "validate": {"pattern": "1[0-9]{10}"}},
        {"type": "number", "key": "amount", "label": "金额", "decimalDigits": 2, "validate": {"min": 0}},
        {
            "type": "radio",
            "key": "outcome",
            "label": "意见",
            "values": [{"label": "同意", "value": "approve"}],
        },
        {"type": "checkbox", "key": "agree", "label": "确认", "validate": {"required": True}},
        {
            "type": "checklist",
            "key": "items",
            "label": "材料",
            "values": [{"label": "甲", "value": "a"}, {"label": "乙", "value": "b"}],
        },
        {"type": "datetime", "key": "when", "label": "时间", "subtype": "datetime"},
        {"type": "select", "key": "town", "label": "社区", "valuesKey": "towns"},
        {"type": "group", "components": [{"type": "textarea", "key": "note", "label": "备注"}]},
        {"type": "textfield", "key": "locked", "label": "只读", "disabled": True},
    ]
}


def test_form_data_is_checked_and_cleaned():
    data = {
        "title": " 请示 ",
        "mobile": "13800000000",
        "amount": "12.50",
        "outcome": "approve",
        "agree": True,
        "items": ["a", "b", "a"],
        "when": "2026-10-08T09:30",
        "town": "t1",
        "note": "无",
        "locked": "hacked",
        "extra": 1,
    }
    cleaned, errors = formschema.validate_data(SCHEMA, data, {"towns": [{"label": "柳浪", "value": "t1"}]})
    assert errors == {}
    assert cleaned == {
        "title": "请示",
        "mobile": "13800000000",
        "amount": 12.5,
        "outcome": "approve",
        "agree": True,
        "items": ["a", "b"],
        "when": "2026-10-08T09:30",
        "town": "t1",
        "note": "无",
    }


def test_form_errors_are_chinese_per_field():
    data = {
        "title": "太长的一个标题",
        "mobile": "123",
        "amount": -1.234,
        "outcome": "maybe",
        "agree": False,
        "items": ["z"],
        "when": "明天",
        "town": "t9",
    }
    _cleaned, errors = formschema.validate_data(SCHEMA, data, {"towns": []})
    assert errors == {
        "title": ["「标题」不能超过 5 个字。"],
        "mobile": ["「手机」的格式不正确。"],
        "amount": ["「金额」不能小于 0。"],
        "outcome": ["「意见」的取值不在可选范围内。"],
        "agree": ["「确认」为必填项。"],
        "items": ["「材料」中有取值不在可选范围内。"],
        "when": ["「时间」应为有效的日期时间（YYYY-MM-DDTHH:MM）。"],
        "town": ["「社区」的取值不在可选范围内。"],
    }


def test_schema_checks():
    assert formschema.validate_schema("ok", SCHEMA) == []
    assert formschema.validate_schema("bad key", SCHEMA)[0].startswith("表单标识「bad key」无效")
    problems = formschema.validate_schema(
        "f", {"components": [{"type": "textfield", "key": "a"}, {"type": "number", "key": "a"}]}
    )
    assert problems == ["表单「f」中的字段 key「a」重复。"]
