"""A household roster as offices keep it in Excel: 户号 and 户籍地址 merged down over the household's members.
Every member's row reads the merged value, as Excel shows it, instead of being refused for a blank 户号."""

from __future__ import annotations

import io
from datetime import date

import pytest
import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile

from jiedao.registry.models import Household
from jiedao.registry.tests.factories import new_id_number, staff
from jiedao.spreadsheets.readers import open_rows
from jiedao.spreadsheets.services import import_start

run_jobs = pytest.mark.django_db(transaction=True)


@run_jobs
def test_a_household_number_merged_down_over_its_members_reaches_every_member(tree, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    clerk = staff(tree.community_a1)
    head, son, wife = (
        new_id_number(date(1960, 1, 1)),
        new_id_number(date(1990, 2, 2)),
        new_id_number(date(1962, 3, 3), female=True),
    )
    output = io.BytesIO()
    book = xlsxwriter.Workbook(output, {"in_memory": True, "strings_to_numbers": False})
    sheet = book.add_worksheet("户籍花名册")
    sheet.merge_range(0, 0, 0, 4, "柳浪社区户籍花名册")  # a title: merged across, not down
    sheet.write_row(1, 0, ["户号", "户籍地址", "姓名", "身份证号", "与户主关系"])
    sheet.merge_range(2, 0, 4, 0, "H0010")
    sheet.merge_range(2, 1, 4, 1, "浙江省杭州市明湖区幸福路9号")
    sheet.write_row(2, 2, ["陈三", head, "户主"])
    sheet.write_row(3, 2, ["陈小三", son, "子"])
    sheet.write_row(4, 2, ["李芳", wife, "妻"])
    book.close()

    job = import_start(
        actor=clerk,
        spec_key="registry-persons",
        org=tree.community_a1,
        uploaded_file=SimpleUploadedFile("户籍花名册.xlsx", output.getvalue()),
    )
    job.refresh_from_db()

    assert (job.status, job.header_row, job.created_count, job.error_count) == ("done", 2, 3, 0)
    household = Household.objects.get(number="H0010")
    assert household.registered_address == "浙江省杭州市明湖区幸福路9号"
    assert household.head.name == "陈三"
    assert sorted(m.person.name for m in household.members.all()) == ["李芳", "陈三", "陈小三"]


@pytest.mark.parametrize("engine", ["calamine", "stream"])
def test_both_readers_fill_ranges_merged_down_and_leave_blank_rows_blank(tmp_path, engine):
    output = io.BytesIO()
    book = xlsxwriter.Workbook(output, {"in_memory": True})
    sheet = book.add_worksheet()
    sheet.merge_range(0, 0, 0, 2, "花名册")
    sheet.write_row(1, 0, ["户号", "姓名", "备注"])
    sheet.merge_range(2, 0, 5, 0, "H1")  # down past the data, over a blank row
    sheet.merge_range(2, 2, 3, 2, "同住")
    sheet.write(2, 1, "甲")
    sheet.write(3, 1, "乙")
    sheet.write(5, 1, "丙")
    sheet.write(6, 1, "丁")
    book.close()
    path = tmp_path / "merged.xlsx"
    path.write_bytes(output.getvalue())

    with open_rows(path, engine=engine) as source:
        rows = list(source)

    assert rows == [
        ["花名册"],
        ["户号", "姓名", "备注"],
        ["H1", "甲", "同住"],
        ["H1", "乙", "同住"],
        [],
        ["H1", "丙"],
        [None, "丁"],
    ]
