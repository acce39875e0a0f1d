"""A clerk edits the list they exported and imports it back: the export hides the middle digits of ID and
phone numbers unless the clerk may see them in full, and the error report says so in words the clerk
understands, instead of “第7位“*”不是数字”. A masked phone that is the mask of the number on record (the
enterprise list, whose key is not masked) keeps that number, so the edited list imports; the house list
carries the import's address columns, so it imports back onto the same houses."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from jiedao.core.testing import client_for
from jiedao.registry import services
from jiedao.registry.models import Enterprise, House, Person
from jiedao.registry.tests.factories import house, person, staff
from jiedao.registry.tests.test_import_persons import errors_of
from jiedao.registry.validators import InvalidNumber, make_uscc, parse_id_number, parse_phone
from jiedao.spreadsheets.services import import_start

run_jobs = pytest.mark.django_db(transaction=True)


@run_jobs
def test_a_masked_export_imported_back_is_refused_naming_the_hidden_digits(tree, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    clerk = staff(tree.community_a1)
    resident = person(clerk, tree.community_a1, name="张三", phone="13800138000")
    response = client_for(clerk).get("/registry/persons/export/")
    assert response.status_code == 200
    exported = b"".join(response.streaming_content)

    job = import_start(
        actor=clerk,
        spec_key="registry-persons",
        org=tree.community_a1,
        uploaded_file=SimpleUploadedFile("人口信息.xlsx", exported),
    )
    job.refresh_from_db()

    assert (job.status, job.created_count, job.updated_count, job.error_count) == ("done", 0, 0, 1)
    masked_id, masked_phone = resident.id_number_masked, resident.phone_masked
    assert errors_of(job) == [
        (
            2,
            "身份证号",
            masked_id,
            f"“{masked_id}”是隐去了中间几位的号码（如导出表格中的号码），无法识别：请填写完整的公民身份号码。",
        ),
        (
            2,
            "联系电话",
            masked_phone,
            f"电话号码格式不正确：“{masked_phone}”隐去了中间几位（如导出表格中的号码），请填写完整号码。",
        ),
    ]
    assert Person.objects.get().phone == "13800138000"


@pytest.mark.parametrize(
    ("parse", "value"),
    [
        (parse_id_number, "110105********1232"),
        (parse_id_number, "１１０１０５＊＊＊＊＊＊＊＊１２３２"),
        (parse_phone, "138****8000"),
        (parse_phone, "0571-8****321"),
    ],
)
def test_masked_numbers_are_named_as_masked(parse, value):
    with pytest.raises(InvalidNumber) as error:
        parse(value)
    assert error.value.code == "masked"
    assert "隐去了中间几位" in error.value.message


@run_jobs
def test_the_enterprise_list_exported_masked_edited_and_imported_back_updates_and_keeps_the_phones(
    tree, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    clerk = staff(tree.community_a1)
    for name, code, phone in (("老店", "00010001", "13800138000"), ("新店", "00010002", "057188886666")):
        services.enterprise_create(
            actor=clerk,
            data=services.EnterpriseData(
                org=tree.community_a1,
                name=name,
                uscc=make_uscc("330110", code),
                legal_representative="王五",
                address="柳浪路9号",
                contact_phone=phone,
            ),
        )
    response = client_for(clerk).get("/registry/enterprises/export/")
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = book.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    employees, phone = header.index("从业人数") + 1, header.index("联系电话") + 1
    rows = {sheet.cell(row, header.index("名称") + 1).value: row for row in (2, 3)}
    for row in rows.values():
        sheet.cell(row, employees).value = 12  # what the clerk came to change
    assert sheet.cell(rows["老店"], phone).value == "138****8000"
    sheet.cell(rows["新店"], phone).value = "057****6666"  # not the mask of the stored number: cannot be kept
    edited = io.BytesIO()
    book.save(edited)

    job = import_start(
        actor=clerk,
        spec_key="registry-enterprises",
        org=tree.community_a1,
        uploaded_file=SimpleUploadedFile("企业名单.xlsx", edited.getvalue()),
    )
    job.refresh_from_db()

    assert (job.status, job.updated_count, job.error_count) == ("done", 1, 1)
    kept, refused = Enterprise.objects.get(name="老店"), Enterprise.objects.get(name="新店")
    assert (kept.employees, kept.contact_phone) == (12, "13800138000")
    assert (refused.employees, refused.contact_phone) == (None, "057188886666")
    assert errors_of(job) == [
        (
            rows["新店"],
            "联系电话",
            "057****6666",
            "电话号码格式不正确：“057****6666”隐去了中间几位（如导出表格中的号码），请填写完整号码。",
        )
    ]


@run_jobs
def test_the_house_list_exported_edited_and_imported_back_updates_the_same_houses(tree, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    clerk = staff(tree.community_a1)
    home = house(clerk, tree.community_a1, street="幸福路12号", building="3幢", unit="2单元", room="301")
    response = client_for(clerk).get("/registry/houses/export/")
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = book.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    sheet.cell(2, header.index("建筑面积（㎡）") + 1).value = 88.5  # what the clerk came to fill in
    edited = io.BytesIO()
    book.save(edited)

    job = import_start(
        actor=clerk,
        spec_key="registry-houses",
        org=tree.community_a1,
        uploaded_file=SimpleUploadedFile("房屋名单.xlsx", edited.getvalue()),
    )
    job.refresh_from_db()

    assert (job.status, job.created_count, job.updated_count, job.error_count) == ("done", 0, 1, 0)
    assert [(h.pk, h.full_address, h.area) for h in House.objects.all()] == [
        (home.pk, "幸福路12号3幢2单元301", Decimal("88.50"))
    ]
