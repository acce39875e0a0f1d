import pytest

from jiedao.parameters.registry import PARAMETERS, ParameterSpec, declare, groups

INT = ParameterSpec("t.int", "整数", 8, minimum=8, maximum=64)
FLOAT = ParameterSpec("t.float", "小数", 0.5, kind=float, minimum=0, maximum=1)
BOOL = ParameterSpec("t.bool", "开关", True, kind=bool)
TEXT = ParameterSpec("t.text", "文本", "x", kind=str)


@pytest.mark.parametrize(
    ("spec", "raw", "value"),
    [
        (INT, "12", 12),
        (INT, 12, 12),
        (INT, " 12 ", 12),
        (INT, "12.0", 12),
        (INT, "１２", 12),  # full-width digits from a Chinese input method
        (FLOAT, "0.25", 0.25),
        (FLOAT, 1, 1.0),
        (BOOL, "是", True),
        (BOOL, "", False),
        (BOOL, False, False),
        (TEXT, "  街道 ", "街道"),
    ],
)
def test_parse_accepts(spec, raw, value):
    parsed = spec.parse(raw)
    assert parsed == value and type(parsed) is type(value)


@pytest.mark.parametrize(
    ("spec", "raw", "message"),
    [
        (INT, "abc", "请输入数字。"),
        (INT, "", "请输入数字。"),
        (INT, None, "请输入数字。"),
        (INT, True, "请输入数字。"),
        (INT, [8], "请输入数字。"),
        (INT, "nan", "请输入数字。"),
        (INT, "inf", "请输入数字。"),
        (INT, "8.5", "请输入整数。"),
        (INT, "7", "不能小于 8。"),
        (INT, 65, "不能大于 64。"),
        (FLOAT, "1.5", "不能大于 1。"),
        (FLOAT, "-0.1", "不能小于 0。"),
        (BOOL, "maybe", "请选择“是”或“否”。"),
        (TEXT, "   ", "不能为空。"),
    ],
)
def test_parse_refuses_in_chinese(spec, raw, message):
    with pytest.raises(ValueError) as caught:
        spec.parse(raw)
    assert str(caught.value) == message


def test_declare_refuses_an_unknown_permission(monkeypatch):
    monkeypatch.setattr("jiedao.parameters.registry.PARAMETERS", dict(PARAMETERS))
    with pytest.raises(ValueError):
        declare("t.bad", "坏", 1, permission="orgs.view_orgunit")


def test_groups_keep_declaration_order():
    grouped = dict(groups())
    assert [spec.key for spec in grouped["登录与密码策略"]][:2] == [
        "password.min_length",
        "password.min_classes",
    ]
