"""A clerk edits the list they exported and imports it back: the export hides the middle digits of ID and
phone numbers unless the clerk may see them in full, and the error report says so in words the clerk
understands, instead of “第7位“*”不是数字”."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from jiedao.core.testing import client_for
from jiedao.registry.models import Person
from jiedao.registry.tests.factories import person, staff
from jiedao.registry.tests.test_import_persons import errors_of
from jiedao.registry.validators import InvalidNumber, parse_id_number, parse_phone
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
