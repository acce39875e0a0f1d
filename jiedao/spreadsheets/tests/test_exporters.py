"""Exports: formula injection defeated, identifiers kept as text, Chinese file names, flat memory."""

# ruff: noqa: DTZ001 - spreadsheet cells hold naive dates and times
from __future__ import annotations

import io
import os
from datetime import date, datetime
from decimal import Decimal
from urllib.parse import quote

import openpyxl
import pytest
from django.utils import timezone

from jiedao.spreadsheets.exporters import content_disposition, neutralise, write_xlsx, xlsx_response

INJECTIONS = ["=cmd|' /C calc'!A0", "@SUM(1)", "+1+1", "-2+3", "\t=1", "\r=1", "＝1+1"]


def _load(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data))


def test_formula_injection_cells_are_written_as_quoted_text():
    output = io.BytesIO()
    write_xlsx([[value] for value in INJECTIONS] + [["正常文本"], ["a=b"]], ["内容"], output)
    sheet = _load(output.getvalue()).worksheets[0]
    cells = [sheet.cell(row=row, column=1) for row in range(2, len(INJECTIONS) + 4)]
    # (openpyxl leaves the OOXML escape of a carriage return, _x000D_, as it is; Excel shows "\r".)
    values = [cell.value.replace("_x000D_", "\r") for cell in cells[: len(INJECTIONS)]]
    assert values == ["'" + value for value in INJECTIONS]
    assert cells[0].value == "'=cmd|' /C calc'!A0" and cells[1].value == "'@SUM(1)"
    assert all(cell.data_type == "s" for cell in cells)  # text, never a formula
    assert [cells[-2].value, cells[-1].value] == ["正常文本", "a=b"]


def test_formula_in_header_is_neutralised_too():
    output = io.BytesIO()
    write_xlsx([], ['=HYPERLINK("http://x")'], output)
    assert _load(output.getvalue()).worksheets[0]["A1"].value == '\'=HYPERLINK("http://x")'


def test_id_numbers_and_phones_stay_text_with_chinese_headers():
    output = io.BytesIO()
    rows = [
        ["张三", "110105199001011234", 13800138000, 110105199001011234, date(1990, 1, 1), 3.5, True, None],
        [
            "李四",
            "11010519920202234X",
            "013800138000",
            2**60,
            datetime(2026, 1, 5, 8, 30),
            Decimal("2.5"),
            False,
            "",
        ],
    ]
    count = write_xlsx(
        rows,
        ["姓名", "身份证号", "手机", "大数", "日期", "数值", "是否", "空"],
        output,
        text_columns=("身份证号", 2),
    )
    assert count == 2
    sheet = _load(output.getvalue()).worksheets[0]
    assert [cell.value for cell in sheet[1]] == [
        "姓名",
        "身份证号",
        "手机",
        "大数",
        "日期",
        "数值",
        "是否",
        "空",
    ]
    assert sheet["B2"].value == "110105199001011234" and sheet["B2"].number_format == "@"
    assert sheet["C2"].value == "13800138000" and sheet["C2"].data_type == "s"  # a text column
    assert sheet["D2"].value == "110105199001011234"  # too many digits for a float: written as text
    assert sheet["C3"].value == "013800138000"
    assert sheet["E2"].value == datetime(1990, 1, 1) and sheet["E2"].is_date
    assert sheet["E3"].value == datetime(2026, 1, 5, 8, 30)
    assert sheet["F2"].value == 3.5 and sheet["F3"].value == 2.5
    assert sheet["G2"].value is True
    assert sheet["H2"].value is None and sheet["H3"].value is None


def test_aware_datetimes_are_written_in_local_time():
    output = io.BytesIO()
    moment = datetime(2026, 1, 5, 0, 30, tzinfo=timezone.get_fixed_timezone(0))
    write_xlsx([[moment]], ["时间"], output)
    assert _load(output.getvalue()).worksheets[0]["A2"].value == datetime(2026, 1, 5, 8, 30)


def test_rows_are_streamed_from_a_generator(tmp_path):
    produced = []

    def rows():
        for n in range(20_000):
            produced.append(n)
            yield [n, f"第{n}行", "=1"]

    path = tmp_path / "big.xlsx"
    assert write_xlsx(rows(), ["序号", "说明", "公式"], path) == 20_000
    workbook = openpyxl.load_workbook(path, read_only=True)
    last = list(workbook.worksheets[0].iter_rows(min_row=20_001, values_only=True))
    workbook.close()
    assert last == [(19_999, "第19999行", "'=1")]


def test_content_disposition_carries_the_chinese_name():
    header = content_disposition("柳浪社区花名册.xlsx")
    assert (
        header == f"attachment; filename=\"download.xlsx\"; filename*=UTF-8''{quote('柳浪社区花名册.xlsx')}"
    )
    assert content_disposition("a\r\nb.xlsx") == "attachment; filename=\"ab.xlsx\"; filename*=UTF-8''ab.xlsx"


def test_xlsx_response_streams_and_leaves_no_temporary_file():
    response = xlsx_response(([n, "=x"] for n in range(3)), ["编号", "备注"], "导出结果.xlsx")
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "filename*=UTF-8''%E5%AF%BC%E5%87%BA%E7%BB%93%E6%9E%9C.xlsx" in response["Content-Disposition"]
    handle = response.file_to_stream
    assert not os.path.exists(handle.name)  # unlinked at once, readable through the open handle
    data = b"".join(response.streaming_content)
    handle.close()
    sheet = _load(data).worksheets[0]
    assert sheet["B2"].value == "'=x" and sheet["A4"].value == 2


@pytest.mark.parametrize(("value", "expected"), [("=1", "'=1"), ("1=1", "1=1"), ("", ""), ("－1", "'－1")])
def test_neutralise(value, expected):
    assert neutralise(value) == expected
