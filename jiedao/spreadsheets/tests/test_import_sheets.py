"""Workbooks with several sheets, as offices keep them: a 填表说明 sheet in front of the data, one sheet per
网格, a hidden helper sheet. The import reads the sheet that has the header, and refuses a workbook whose
header is on more than one visible sheet instead of importing the first and silently leaving the rest out."""

from __future__ import annotations

import io

import pytest
import xlsxwriter

from jiedao.core.exceptions import ValidationFailed
from jiedao.spreadsheets.models import ImportJob
from jiedao.spreadsheets.services import error_workbook, import_start
from jiedao.spreadsheets.tests.conftest import STORE
from jiedao.spreadsheets.tests.test_imports import read_workbook, stored_files, upload

run_jobs = pytest.mark.django_db(transaction=True)
HEADER = ["姓名", "身份证号", "出生日期"]


def workbook(sheets: list[tuple[str, list[list], bool]]) -> bytes:
    """(name, rows, hidden) per sheet, in order."""
    output = io.BytesIO()
    book = xlsxwriter.Workbook(output, {"in_memory": True, "strings_to_numbers": False})
    for name, rows, hidden in sheets:
        sheet = book.add_worksheet(name)
        for number, cells in enumerate(rows):
            sheet.write_row(number, 0, cells)
        if hidden:
            sheet.hide()
    book.close()
    return output.getvalue()


@pytest.fixture
def world(db):
    from jiedao.core.testing import build_tree, make_user

    tree = build_tree()
    return tree, make_user(tree.community_a1, "spreadsheets.add_importjob", "spreadsheets.view_importjob")


@run_jobs
def test_the_data_behind_an_instructions_sheet_is_imported_and_its_errors_reported(world, sample_spec, media):
    tree, user = world
    data = workbook(
        [
            ("填表说明", [["填表说明：身份证号填写18位，姓名必填。"], ["联系人：张三"]], False),
            (
                "花名册",
                [["柳浪社区花名册"], HEADER, ["张三", "110105199001011234"], ["李四", "1101051990"]],
                False,
            ),
        ]
    )
    job = import_start(
        actor=user, spec_key=sample_spec.key, org=tree.community_a1, uploaded_file=upload(data)
    )
    job.refresh_from_db()

    assert (job.status, job.header_row, job.created_count, job.error_count) == ("done", 2, 1, 1)
    assert STORE["110105199001011234"]["name"] == "张三"
    refused = read_workbook(error_workbook(job), "待修正数据")
    assert refused == [(*HEADER, "错误原因"), ("李四", "1101051990", None, "身份证号：身份证号应为 18 位。")]


@pytest.mark.django_db
def test_a_workbook_with_the_header_on_two_sheets_is_refused_naming_them(world, sample_spec, media):
    tree, user = world
    data = workbook(
        [
            ("第一网格", [HEADER, ["张三", "110105199001011234"]], False),
            ("第二网格", [HEADER, ["李四", "110105199202022345"]], False),
        ]
    )
    with pytest.raises(ValidationFailed) as refused:
        import_start(actor=user, spec_key=sample_spec.key, org=tree.community_a1, uploaded_file=upload(data))

    assert refused.value.errors == {
        "file": [
            "文件中有 2 个工作表都有表头（“第一网格”、“第二网格”），一次只能导入一个工作表。"
            "请把数据合并到一个工作表中，或把各工作表分别保存为文件后逐个上传。"
        ]
    }
    assert stored_files(media) == []
    assert not ImportJob.objects.exists()


@run_jobs
def test_a_hidden_sheet_with_the_header_is_neither_read_nor_a_reason_to_refuse(world, sample_spec, media):
    tree, user = world
    data = workbook(
        [
            ("花名册", [HEADER, ["张三", "110105199001011234"]], False),
            ("旧数据", [HEADER, ["李四", "110105199202022345"]], True),
        ]
    )
    job = import_start(
        actor=user, spec_key=sample_spec.key, org=tree.community_a1, uploaded_file=upload(data)
    )
    job.refresh_from_db()

    assert (job.status, job.created_count) == ("done", 1)
    assert set(STORE) == {"110105199001011234"}
