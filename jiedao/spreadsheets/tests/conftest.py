"""Fixtures of the import engine's tests: a self-test spec whose records live in a dict that follows the
database transaction (rows staged in a batch reach it only when the batch commits), messy workbooks, and
an isolated MEDIA_ROOT."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import pytest
import xlsxwriter
from django.db import transaction

from jiedao.spreadsheets.cleaning import clean_text, parse_date, text_digits
from jiedao.spreadsheets.specs import (
    Column,
    ImportSpec,
    RowIssue,
    ValidatedRow,
    register_spec,
    unregister_spec,
)

# The self-test spec's "table": ID number → record; SAVES lists every ID number whose save was committed.
STORE: dict[str, dict] = {}
SAVES: list[str] = []


class SampleSpec(ImportSpec):
    """The engine's self-test target: a person with a name, an ID number, a birth date and a phone."""

    key = "selftest-person"
    label = "测试人员"
    permission = "spreadsheets.add_importjob"
    batch_size = 3
    columns = (
        Column("name", "姓名", required=True, example="张三"),
        Column(
            "id_number",
            "身份证号",
            aliases=("公民身份号码", "证件号码"),
            required=True,
            text=True,
            help="18 位居民身份证号码",
            example="110105199001011234",
        ),
        Column("birth_date", "出生日期", help="如 1990-01-01 或 1990年1月1日", example=date(1990, 1, 1)),
        Column("phone", "联系电话", aliases=("手机",), text=True, example="13912345678"),
    )
    natural_key_columns = ("id_number",)

    def __init__(self):
        self.fail_on_batch: int | None = None
        self.batches = 0

    def validate_row(self, values, context):
        issues = []
        try:
            id_number = text_digits(values["id_number"])
        except ValueError:
            id_number = None
            issues.append(RowIssue("身份证号被存成了数字，后几位已丢失", "id_number"))
        else:
            if not re.fullmatch(r"\d{17}[\dXx]", id_number or ""):
                issues.append(RowIssue("身份证号应为 18 位", "id_number"))
        try:
            birth_date = parse_date(values.get("birth_date"))
        except ValueError:
            birth_date = None
            issues.append(RowIssue("出生日期无法识别", "birth_date"))
        if issues:
            return issues
        return ValidatedRow(
            {
                "name": clean_text(values["name"]),
                "id_number": id_number.upper(),
                "birth_date": birth_date,
                "phone": text_digits(values.get("phone")),
            }
        )

    def natural_key(self, row):
        return row.data["id_number"]

    def save_batch(self, rows, context):
        self.batches += 1
        if self.fail_on_batch == self.batches:
            raise RuntimeError("模拟进程中断")
        staged = {
            row.data["id_number"]: {**row.data, "org": context.org.pk, "row": row.row_number} for row in rows
        }
        created = sum(1 for key in staged if key not in STORE)

        def apply():
            STORE.update(staged)
            SAVES.extend(staged)

        transaction.on_commit(apply)
        return created, len(staged) - created


@pytest.fixture
def sample_spec():
    spec = SampleSpec()
    register_spec(spec)
    STORE.clear()
    SAVES.clear()
    yield spec
    unregister_spec(spec.key)
    STORE.clear()
    SAVES.clear()


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def urls(settings):
    settings.ROOT_URLCONF = "jiedao.spreadsheets.tests.urls"


# --- workbooks ---------------------------------------------------------------------------------------------

FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
FORMULA = "=cmd|' /C calc'!A0"


def messy_rows() -> list[tuple[int, list]]:
    """(spreadsheet row, cells) of the data part of the messy roster; see `messy_workbook`."""
    return [
        (4, [1, " 张三\u3000", "110105199001011234", date(1990, 1, 1), 13800138000]),
        (5, [2, "李四", "110105199202022345".translate(FULLWIDTH), "2026年1月5日", "139 0000 0000"]),
        (6, []),  # blank
        (7, [3, "王五", " 110105198505053456 ", date(1985, 5, 5), None]),
        (8, [4, None, "110105197001011111", date(1970, 1, 1), None]),  # no name
        (9, [5, "张三", "110105199001011234", date(1990, 1, 1), None]),  # duplicates row 4
        (10, [6, "赵六", "11010519", None, None]),  # short ID
        (11, [7, "钱七", "110105200012121212", "2026-02-30", None]),  # impossible date
        (12, [8, "孙八", "11010519991231000X", "1999/12/31", None]),
        (13, [None, None, None, None, None]),  # blank
        (14, [9, "周九", FORMULA, None, None]),  # a formula where the ID should be
    ]


VALID_IDS = {"110105199001011234", "110105199202022345", "110105198505053456", "11010519991231000X"}
EXPECTED_ERRORS = [
    (8, "B", "姓名", "", "必填项“姓名”为空"),
    (9, "C", "身份证号", "110105199001011234", "与第 4 行重复"),
    (10, "C", "身份证号", "11010519", "身份证号应为 18 位"),
    (11, "D", "出生日期", "2026-02-30", "出生日期无法识别"),
    (14, "C", "身份证号", FORMULA, "身份证号应为 18 位"),
]


def messy_workbook(*, constant_memory: bool = False) -> bytes:
    """A roster as community offices keep them: a title row, a merged group header above the real header
    (序号 merged down over both header rows), a note-laden header (“*姓名”, “公民身份号码（必填）”,
    “出生　日期” with a full-width space), full-width digits, stray spaces, blank rows, a duplicated row,
    an Excel date next to a text date, a row without its required name, and a formula in the ID column."""
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        output,
        {
            "in_memory": True,
            "constant_memory": constant_memory,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
        },
    )
    sheet = workbook.add_worksheet("花名册")
    date_format = workbook.add_format({"num_format": 'yyyy"年"m"月"d"日"'})
    text = workbook.add_format({"num_format": "@"})
    sheet.merge_range(0, 0, 0, 5, "柳浪社区人口花名册（2026年1月）")
    sheet.merge_range(1, 0, 2, 0, "序号")
    sheet.merge_range(1, 1, 1, 3, "基本信息")
    sheet.merge_range(1, 4, 1, 5, "联系方式")
    for column, title in enumerate(
        ["*姓名", "公民身份号码（必填）", "出生\u3000日期", "手机", "备注"], start=1
    ):
        sheet.write_string(2, column, title)
    for row_number, cells in messy_rows():
        for column, value in enumerate(cells):
            if value is None:
                continue
            if isinstance(value, date):
                sheet.write_datetime(row_number - 1, column, value, date_format)
            elif isinstance(value, str):
                sheet.write_string(row_number - 1, column, value, text if column == 2 else None)
            else:
                sheet.write_number(row_number - 1, column, value)
    workbook.close()
    return output.getvalue()
