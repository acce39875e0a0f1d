"""CSV files exported by other systems, as a community receives them: GBK, and long numbers kept as text for
Excel either as a formula (="330102199001011232") or behind an apostrophe ('13800138000). The import
reads the number, not the wrapping."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from jiedao.registry.models import Person
from jiedao.registry.tests.factories import new_id_number, staff
from jiedao.spreadsheets.services import import_start

run_jobs = pytest.mark.django_db(transaction=True)


@run_jobs
def test_numbers_kept_as_text_by_another_systems_csv_export_import(tree, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    clerk = staff(tree.community_a1)
    zhang, li = new_id_number(date(1990, 3, 7)), new_id_number(date(1991, 6, 18), female=True)
    text = (
        "姓名,身份证号,联系电话,备注\r\n"
        f'张三,="{zhang}",="13800138000",="原系统导出"\r\n'
        f"李四,'{li},'0571-88886666,'不是号码\r\n"
    )
    job = import_start(
        actor=clerk,
        spec_key="registry-persons",
        org=tree.community_a1,
        uploaded_file=SimpleUploadedFile("人口导出.csv", text.encode("gbk")),
    )
    job.refresh_from_db()

    assert (job.status, job.created_count, job.error_count) == ("done", 2, 0)
    people = {p.name: (p.id_number, p.phone, p.note) for p in Person.objects.all()}
    assert people == {
        "张三": (zhang, "13800138000", "原系统导出"),
        "李四": (li, "057188886666", "'不是号码"),  # an apostrophe before words is kept: it may be meant
    }
