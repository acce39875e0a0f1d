import pytest

from jiedao.orgs.choices import OrgLevel
from jiedao.orgs.division_codes import division_code_errors, normalize_division_code


def test_valid_codes_for_each_level():
    assert division_code_errors("110105000000", OrgLevel.DISTRICT, None, None) == []
    assert division_code_errors("110105001000", OrgLevel.SUBDISTRICT, "110105000000", OrgLevel.DISTRICT) == []
    assert (
        division_code_errors("110105001001", OrgLevel.COMMUNITY, "110105001000", OrgLevel.SUBDISTRICT) == []
    )
    assert division_code_errors("110105001001002", OrgLevel.GRID, "110105001001", OrgLevel.COMMUNITY) == []


def test_six_digit_district_code_is_padded():
    assert normalize_division_code("110105", OrgLevel.DISTRICT) == "110105000000"


@pytest.mark.parametrize(
    ("code", "level", "parent", "parent_level", "message"),
    [
        ("11010500000", OrgLevel.DISTRICT, None, None, "应为 12 位数字"),
        ("11010500000X", OrgLevel.DISTRICT, None, None, "应为 12 位数字"),
        ("990105000000", OrgLevel.DISTRICT, None, None, "不是有效的省级代码"),
        ("110105001000", OrgLevel.DISTRICT, None, None, "第 7 位起应为 0"),
        ("110105000000", OrgLevel.SUBDISTRICT, "110105000000", OrgLevel.DISTRICT, "不能全为 0"),
        ("110106001000", OrgLevel.SUBDISTRICT, "110105000000", OrgLevel.DISTRICT, "应以上级代码 110105 开头"),
        (
            "110105002001",
            OrgLevel.COMMUNITY,
            "110105001000",
            OrgLevel.SUBDISTRICT,
            "应以上级代码 110105001 开头",
        ),
        (
            "１１０１０５００１００１",
            OrgLevel.COMMUNITY,
            "110105001000",
            OrgLevel.SUBDISTRICT,
            "应为 12 位数字",
        ),
    ],
)
def test_malformed_codes_get_a_chinese_reason(code, level, parent, parent_level, message):
    errors = division_code_errors(code, level, parent, parent_level)
    assert any(message in e for e in errors), errors
