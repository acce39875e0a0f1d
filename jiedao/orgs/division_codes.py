"""Division codes: GB/T 2260 (6 digits, down to county/district) and the 12-digit statistical code
(NBS 统计用区划代码) that adds 3 digits for the township/sub-district and 3 for the village/community.

Grids have no national code; by local practice (网格化管理) a grid takes its community's 12 digits plus a
3-digit serial, 15 digits in all.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from jiedao.orgs.choices import OrgLevel

PROVINCE_PREFIXES = frozenset(
    [
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
    ]
)
CODE_LENGTH = {OrgLevel.DISTRICT: 12, OrgLevel.SUBDISTRICT: 12, OrgLevel.COMMUNITY: 12, OrgLevel.GRID: 15}
# How many leading digits identify a node of each level; the rest must be zeros (or absent for grids).
SIGNIFICANT_DIGITS = {
    OrgLevel.DISTRICT: 6,
    OrgLevel.SUBDISTRICT: 9,
    OrgLevel.COMMUNITY: 12,
    OrgLevel.GRID: 15,
}


def normalize_division_code(code: str, level: int) -> str:
    """Accept a 6-digit GB/T 2260 code for a district and pad it to the 12-digit statistical form."""
    code = (code or "").strip()
    if level == OrgLevel.DISTRICT and len(code) == 6:
        code += "000000"
    return code


def division_code_errors(
    code: str, level: int, parent_code: str | None, parent_level: int | None
) -> list[str]:
    """Chinese messages for every problem with `code` at `level` under a parent; empty when valid."""
    level = OrgLevel(level)
    expected = CODE_LENGTH[level]
    if not code.isascii() or not code.isdigit() or len(code) != expected:
        return [_("区划代码应为 %(n)d 位数字。") % {"n": expected}]
    errors = []
    if code[:2] not in PROVINCE_PREFIXES:
        errors.append(_("区划代码前两位“%(p)s”不是有效的省级代码。") % {"p": code[:2]})
    significant = SIGNIFICANT_DIGITS[level]
    if level != OrgLevel.GRID and code[significant:].strip("0"):
        errors.append(
            _("%(level)s级区划代码第 %(start)d 位起应为 0。")
            % {"level": level.label, "start": significant + 1}
        )
    own_part = code[
        SIGNIFICANT_DIGITS.get(OrgLevel(level - 1), 0) if level > OrgLevel.DISTRICT else 4 : significant
    ]
    if not own_part.strip("0"):
        errors.append(_("区划代码中本级部分不能全为 0。"))
    if parent_code is not None and parent_level is not None:
        prefix = parent_code[: SIGNIFICANT_DIGITS[OrgLevel(parent_level)]]
        if not code.startswith(prefix):
            errors.append(_("区划代码应以上级代码 %(prefix)s 开头。") % {"prefix": prefix})
    return errors
