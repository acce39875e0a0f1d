"""The error report of an import carries the refused rows as uploaded (sheet 待修正数据, with their reasons), so
that a clerk corrects the cells and uploads that file again; the per-cell list stays as 错误明细."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest

from jiedao.registry.models import Person
from jiedao.registry.tests.factories import new_id_number, staff
from jiedao.registry.tests.test_import_persons import FORMULA, HEADERS, run, workbook, wrong_check
from jiedao.spreadsheets.models import ImportJob
from jiedao.spreadsheets.services import error_workbook

run_jobs = pytest.mark.django_db(transaction=True)


@pytest.fixture
def clerk(tree, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return staff(tree.community_a1)


def messy(ids):
    bad_check, _right = wrong_check(ids["qian"])
    return [
        [1, "张三", ids["zhang"], "男", date(1990, 3, 7), "汉族", 13800138000],
        [2, "钱七", bad_check, "男", date(1970, 1, 2), "汉族", 13900001111, "高中"],
        None,
        [3, FORMULA, ids["sun"], "男", "2001.12.01"],
        [4, "吴十", ids["wu"], "男", "1980/8/8", "火星族"],
    ]


@run_jobs
def test_refused_rows_come_back_as_uploaded_and_reimport_once_corrected(tree, clerk):
    ids = {
        "zhang": new_id_number(date(1990, 3, 7)),
        "qian": new_id_number(date(1970, 1, 2)),
        "sun": new_id_number(date(2001, 12, 1)),
        "wu": new_id_number(date(1980, 8, 8), female=True),
    }
    job = run(clerk, tree.community_a1, workbook(messy(ids)))
    assert (job.created_count, job.error_count) == (1, 3)

    book = openpyxl.load_workbook(error_workbook(job))
    assert book.sheetnames == ["待修正数据", "错误明细"]
    sheet = book["待修正数据"]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == [*HEADERS, "错误原因"]  # 序号 was merged down from the group header row above
    reasons = [row[-1] for row in rows[1:]]
    assert len(rows) == 4  # the header and the three refused rows, in file order
    assert rows[1][:8] == [
        "2",
        "钱七",
        wrong_check(ids["qian"])[0],
        "男",
        "1970-01-02",
        "汉族",
        "13900001111",
        "高中",
    ]
    assert "身份证号：公民身份号码校验位错误" in reasons[0]
    assert rows[2][1] == "'" + FORMULA and rows[2][4] == "2001.12.01"
    assert reasons[1] == "姓名：姓名只能包含汉字、字母和间隔号（·）。"
    # several reasons in one cell read as one sentence: “…为女）；民族：…”, not “…为女）。；民族：…”
    assert (
        reasons[2]
        == "性别：性别与证件号码不符（号码显示为女）；民族：“火星族”不是有效的民族，请填写代码或名称。"
    )
    assert all(cell.data_type == "s" for row in sheet.iter_rows(min_row=2) for cell in row if cell.value)
    details = [row for row in book["错误明细"].iter_rows(values_only=True)]
    assert details[0] == ("行号", "列号", "列名", "单元格内容", "错误原因") and len(details) == 5

    # The clerk corrects the cells in the downloaded sheet and uploads the file again.
    sheet["C2"] = ids["qian"]
    sheet["B3"] = "孙八"
    sheet["D4"], sheet["F4"] = "女", "汉族"
    output = io.BytesIO()
    book.save(output)
    again = run(clerk, tree.community_a1, output.getvalue())
    assert (again.created_count, again.updated_count, again.error_count) == (3, 0, 0)
    qian = Person.objects.get(name="钱七")
    assert (qian.id_number, qian.birth_date, qian.phone, qian.education) == (
        ids["qian"],
        date(1970, 1, 2),
        "13900001111",
        "60",
    )
    assert Person.objects.get(name="孙八").birth_date == date(2001, 12, 1)
    assert Person.objects.get(name="吴十").gender == "2"


@run_jobs
def test_a_purged_upload_leaves_the_error_list_with_a_note(tree, clerk):
    bad, _right = wrong_check(new_id_number(date(1970, 1, 2)))
    job = run(clerk, tree.community_a1, workbook([[1, "钱七", bad, "男"]]))
    ImportJob.objects.filter(pk=job.pk).update(stored_file="")
    job.refresh_from_db()
    book = openpyxl.load_workbook(error_workbook(job))
    assert book.sheetnames == ["错误明细"]
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[0][0] == "原导入文件已不再保存，无法列出待修正的原始数据；以下为错误明细。"
    assert rows[1] == ("行号", "列号", "列名", "单元格内容", "错误原因")
    assert rows[2][0] == 4 and "校验位错误" in rows[2][4]


@run_jobs
def test_cells_starting_like_a_formula_survive_the_report_and_the_reupload(tree, clerk):
    """The report writes "-待业-" as "'-待业-" so that Excel never takes it for a formula; uploading the
    corrected report again stores "-待业-", not the ' added on writing."""
    right = new_id_number(date(1970, 1, 2))
    bad, _right = wrong_check(right)
    row = [
        1,
        "钱七",
        bad,
        "男",
        date(1970, 1, 2),
        "汉族",
        None,
        None,
        None,
        None,
        "@幸福路12号",
        "+外地",
        None,
    ]
    job = run(clerk, tree.community_a1, workbook([[*row, None, "-待业-"]]))
    assert job.error_count == 1

    book = openpyxl.load_workbook(error_workbook(job))
    sheet = book["待修正数据"]
    assert [sheet["K2"].value, sheet["L2"].value, sheet["O2"].value] == ["'@幸福路12号", "'+外地", "'-待业-"]
    sheet["C2"] = right
    output = io.BytesIO()
    book.save(output)
    again = run(clerk, tree.community_a1, output.getvalue())

    assert (again.created_count, again.error_count) == (1, 0)
    qian = Person.objects.get(name="钱七")
    assert (qian.residence_address, qian.hukou_address, qian.note) == ("@幸福路12号", "+外地", "-待业-")
