"""Import jobs end to end: upload → background run → records, errors, error workbook; resume after a crash;
refusals before anything is stored. Runs the real task through django-tasks' ImmediateBackend, on committed
transactions (the task is enqueued on commit), so these tests use `transaction=True`."""

from __future__ import annotations

import io
from collections import Counter
from datetime import date, timedelta

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from jiedao.audit.models import AuditEvent
from jiedao.core.exceptions import OutOfScope, PermissionDenied, ServiceError, ValidationFailed
from jiedao.core.testing import build_tree, make_user
from jiedao.spreadsheets import services
from jiedao.spreadsheets.models import ImportJob, ImportRowError, ImportStatus
from jiedao.spreadsheets.readers import detect_header, open_rows
from jiedao.spreadsheets.services import (
    DigestIndex,
    error_workbook,
    import_run,
    import_start,
    template_workbook,
)
from jiedao.spreadsheets.tests.conftest import (
    EXPECTED_ERRORS,
    FORMULA,
    SAVES,
    STORE,
    VALID_IDS,
    messy_workbook,
)
from jiedao.spreadsheets.tests.xls_writer import xls_bytes

IMPORTER_PERMS = ("spreadsheets.add_importjob", "spreadsheets.view_importjob")
run_jobs = pytest.mark.django_db(transaction=True)


def upload(data: bytes, name: str = "柳浪社区花名册.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def stored_files(media) -> list:
    root = media / "imports"
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


@pytest.fixture
def world(db):
    tree = build_tree()
    return tree, make_user(tree.community_a1, *IMPORTER_PERMS)


def read_workbook(path, sheet: str | None = None) -> list[tuple]:
    workbook = openpyxl.load_workbook(path, read_only=True)
    try:
        chosen = workbook[sheet] if sheet else workbook.worksheets[0]
        return [tuple(row) for row in chosen.iter_rows(values_only=True)]
    finally:
        workbook.close()


@run_jobs
@pytest.mark.parametrize("engine", ["calamine", "stream"])
def test_messy_workbook_imports_valid_rows_and_reports_each_invalid_one(
    world, sample_spec, media, settings, engine
):
    settings.JIEDAO_IMPORT_CALAMINE_MAX_SHEET_BYTES = 64 * 1024 * 1024 if engine == "calamine" else 0
    tree, user = world
    job = import_start(
        actor=user, spec_key=sample_spec.key, org=tree.community_a1, uploaded_file=upload(messy_workbook())
    )
    job.refresh_from_db()

    assert job.status == ImportStatus.DONE
    assert job.header_row == 3
    assert (job.rows_processed, job.created_count, job.updated_count, job.error_count) == (9, 4, 0, 5)
    assert job.resume_after_row == 14 and job.percent == 100
    assert set(STORE) == VALID_IDS  # full-width digits and stray spaces cleaned, blank rows skipped
    assert STORE["110105199001011234"] == {
        "name": "张三",
        "id_number": "110105199001011234",
        "birth_date": date(1990, 1, 1),
        "phone": "13800138000",
        "org": tree.community_a1.pk,
        "row": 4,
    }
    assert STORE["110105199202022345"]["birth_date"] == date(2026, 1, 5)  # the text date
    assert STORE["110105199202022345"]["phone"] == "13900000000"
    assert STORE["11010519991231000X"]["birth_date"] == date(1999, 12, 31)

    # Each refused row, with its row number, column and a Chinese reason, in the downloadable workbook.
    rows = read_workbook(error_workbook(job), "错误明细")
    assert rows[0] == ("行号", "列号", "列名", "单元格内容", "错误原因")
    expected = [
        (number, letter, column, ("'" + value if value.startswith("=") else value) or None, message)
        for number, letter, column, value, message in EXPECTED_ERRORS
    ]
    assert rows[1:] == expected
    assert rows[-1][3] == "'" + FORMULA  # the uploaded formula comes back as inert text

    events = list(
        AuditEvent.objects.filter(target_id=str(job.pk)).order_by("id").values_list("event_name", flat=True)
    )
    assert events == ["spreadsheets.import.started", "spreadsheets.import.finished"]

    # The same file again: the four records are updated, none duplicated; errors are reported again.
    again = import_start(
        actor=user, spec_key=sample_spec.key, org=tree.community_a1, uploaded_file=upload(messy_workbook())
    )
    again.refresh_from_db()
    assert (again.status, again.created_count, again.updated_count, again.error_count) == ("done", 0, 4, 5)
    assert set(STORE) == VALID_IDS
    assert Counter(SAVES) == {key: 2 for key in VALID_IDS}


@run_jobs
def test_interrupted_job_resumes_and_imports_every_row_exactly_once(world, sample_spec, media):
    tree, user = world
    sample_spec.batch_size = 2
    sample_spec.fail_on_batch = 2  # the worker "dies" while saving the second batch
    job = import_start(
        actor=user, spec_key=sample_spec.key, org=tree.community_a1, uploaded_file=upload(messy_workbook())
    )
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert "继续导入" in job.failure_message
    # Batch 1 (rows 4 and 5) is committed together with the job's progress; batch 2 (rows 7, 8) is not.
    assert job.resume_after_row == 5
    assert (job.rows_processed, job.created_count, job.error_count) == (2, 2, 0)
    assert set(SAVES) == {"110105199001011234", "110105199202022345"}
    assert not ImportRowError.objects.filter(job=job).exists()

    sample_spec.fail_on_batch = None
    result = import_run(job.pk)
    job.refresh_from_db()
    assert result["status"] == "done" and job.status == ImportStatus.DONE
    assert Counter(SAVES) == {key: 1 for key in VALID_IDS}  # every row exactly once
    assert (job.rows_processed, job.created_count, job.updated_count, job.error_count) == (9, 4, 0, 5)
    # Row 9 repeats row 4, which the first run committed: the resumed run still knows its key.
    assert list(job.row_errors.values_list("row_number", "message")) == [
        (number, message) for number, _l, _c, _v, message in EXPECTED_ERRORS
    ]
    assert import_run(job.pk) == {"status": "done"}  # a finished job is left alone


@run_jobs
def test_resume_through_the_service_after_a_stale_worker(world, sample_spec, media):
    tree, user = world
    sample_spec.fail_on_batch = 1
    job = import_start(
        actor=user, spec_key=sample_spec.key, org=tree.community_a1, uploaded_file=upload(messy_workbook())
    )
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED and job.resume_after_row == 0
    # A killed worker leaves "running" behind; after a while the job may be resumed by hand.
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING, updated_at=timezone.now() - timedelta(minutes=1)
    )
    job.refresh_from_db()
    with pytest.raises(ServiceError):
        services.import_resume(actor=user, job=job)
    ImportJob.objects.filter(pk=job.pk).update(updated_at=timezone.now() - timedelta(minutes=10))
    job.refresh_from_db()
    sample_spec.fail_on_batch = None
    services.import_resume(actor=user, job=job)  # queued on commit, run at once by the test backend
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE and set(STORE) == VALID_IDS
    assert AuditEvent.objects.filter(event_name="spreadsheets.import.resumed", target_id=str(job.pk)).exists()


@run_jobs
def test_xls_and_csv_uploads_import(world, sample_spec, media):
    tree, user = world
    rows = [
        ["人口花名册"],
        ["姓名", "身份证号", "出生日期"],
        ["张三", "110105199001011234", date(1990, 1, 1)],
    ]
    job = import_start(
        actor=user,
        spec_key=sample_spec.key,
        org=tree.community_a1,
        uploaded_file=upload(xls_bytes(rows), "旧表.xls"),
    )
    job.refresh_from_db()
    assert (job.file_format, job.status, job.created_count) == ("xls", "done", 1)
    assert STORE["110105199001011234"]["birth_date"] == date(1990, 1, 1)

    text = "姓名,身份证号,出生日期\r\n李四,１１０１０５１９９２０２０２２３４５,1992年2月2日\r\n王五,110105198505053456,\r\n"
    for encoding in ("utf-8-sig", "gb18030"):
        job = import_start(
            actor=user,
            spec_key=sample_spec.key,
            org=tree.community_a1,
            uploaded_file=upload(text.encode(encoding), f"名单-{encoding}.csv"),
        )
        job.refresh_from_db()
        assert (job.file_format, job.status, job.error_count) == ("csv", "done", 0), job.failure_message
    assert STORE["110105199202022345"]["name"] == "李四"
    assert STORE["110105199202022345"]["birth_date"] == date(1992, 2, 2)


@pytest.mark.django_db
def test_refusals_happen_before_anything_is_stored(world, sample_spec, media, settings):
    tree, user = world

    def refused(data: bytes, name: str) -> ValidationFailed:
        with pytest.raises(ValidationFailed) as caught:
            import_start(
                actor=user, spec_key=sample_spec.key, org=tree.community_a1, uploaded_file=upload(data, name)
            )
        return caught.value

    pdf = refused(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF", "花名册.xlsx")
    assert pdf.errors == {"file": ["文件不是有效的 Excel（.xlsx/.xls）或 CSV 文件。"]}

    buffer = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bomb:
        bomb.writestr("[Content_Types].xml", "spreadsheetml")
        bomb.writestr("xl/worksheets/sheet1.xml", b"\x00" * (40 * 1024 * 1024))
    assert refused(buffer.getvalue(), "bomb.xlsx").errors == {"file": ["文件疑似压缩炸弹，已拒绝。"]}

    no_id = "姓名,出生日期\n张三,1990-01-01\n".encode()
    assert refused(no_id, "a.csv").errors == {
        "file": ["缺少必填列：身份证号。请检查表头是否与导入模板一致。"]
    }

    settings.JIEDAO_IMPORT_MAX_UPLOAD_BYTES = 5 * 1024 * 1024
    oversized = refused(b"x" * (5 * 1024 * 1024 + 1), "big.csv")
    assert oversized.errors == {"file": ["文件超过 5 MB 上限。"]} and oversized.code == "file_too_large"

    assert stored_files(media) == []
    assert not ImportJob.objects.exists()
    assert not AuditEvent.objects.filter(event_name="spreadsheets.import.started").exists()


@pytest.mark.django_db
def test_upload_that_lies_about_its_size_is_cut_off_while_storing(world, sample_spec, media, settings):
    tree, user = world
    settings.JIEDAO_IMPORT_MAX_UPLOAD_BYTES = 2 * 1024 * 1024
    file = upload(b"a,b\n" * (1024 * 1024), "lie.csv")
    file.size = 10  # what a client claimed
    with pytest.raises(ValidationFailed) as caught:
        import_start(actor=user, spec_key=sample_spec.key, org=tree.community_a1, uploaded_file=file)
    assert caught.value.code == "file_too_large"
    assert stored_files(media) == []


@pytest.mark.django_db
def test_permission_and_target_org_are_checked(world, sample_spec, media):
    tree, user = world
    for org in (tree.community_b1, tree.community_a2):
        with pytest.raises(OutOfScope):
            import_start(
                actor=user, spec_key=sample_spec.key, org=org, uploaded_file=upload(messy_workbook())
            )
    viewer = make_user(tree.community_a1, "spreadsheets.view_importjob")
    with pytest.raises(PermissionDenied):
        import_start(
            actor=viewer,
            spec_key=sample_spec.key,
            org=tree.community_a1,
            uploaded_file=upload(messy_workbook()),
        )
    boss = make_user(tree.subdistrict_a, *IMPORTER_PERMS)
    with pytest.raises(ValidationFailed) as caught:  # a sub-district node is no target for this spec
        import_start(
            actor=boss,
            spec_key=sample_spec.key,
            org=tree.subdistrict_a,
            uploaded_file=upload(messy_workbook()),
        )
    assert "org" in caught.value.errors
    with pytest.raises(ServiceError):
        import_start(
            actor=user, spec_key="no-such-spec", org=tree.community_a1, uploaded_file=upload(messy_workbook())
        )
    assert stored_files(media) == []


@pytest.mark.django_db
def test_cancelled_job_does_not_run(world, sample_spec, media):
    tree, user = world
    job = import_start(
        actor=user, spec_key=sample_spec.key, org=tree.community_a1, uploaded_file=upload(messy_workbook())
    )
    assert job.status == ImportStatus.PENDING  # queued on commit; the test transaction never commits
    services.import_cancel(actor=user, job=job)
    assert import_run(job.pk) == {"status": "cancelled"}
    assert STORE == {}
    with pytest.raises(ServiceError):
        services.import_cancel(actor=user, job=job)


@pytest.mark.django_db
def test_task_path_through_on_commit_callbacks(world, sample_spec, media, django_capture_on_commit_callbacks):
    tree, user = world
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        job = import_start(
            actor=user,
            spec_key=sample_spec.key,
            org=tree.community_a1,
            uploaded_file=upload(messy_workbook()),
        )
    assert len(callbacks) >= 1
    job.refresh_from_db()
    assert (job.status, job.error_count) == (ImportStatus.DONE, 5)


@pytest.mark.django_db
def test_missing_stored_file_fails_the_job_with_a_chinese_message(world, sample_spec, media):
    tree, user = world
    job = import_start(
        actor=user, spec_key=sample_spec.key, org=tree.community_a1, uploaded_file=upload(messy_workbook())
    )
    services.job_file(job).unlink()
    import_run(job.pk)
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert job.failure_message == "导入文件已不存在或无法读取。"


def test_digest_index_remembers_first_rows_compactly():
    index = DigestIndex()
    for number in range(1, 200_001):
        assert index.first_row(f"1101051990{number:08d}", number) is None
    assert len(index) == 200_000
    assert index.first_row("110105199000000007", 999_999) == 7
    assert index.first_row("110105199000200000", 5) == 200_000
    assert index.nbytes <= 200_000 * 12 * 4  # flat arrays, at most a quarter full after growing


def test_template_workbook_reimports_cleanly(sample_spec, tmp_path):
    path = tmp_path / "template.xlsx"
    path.write_bytes(template_workbook(sample_spec))
    workbook = openpyxl.load_workbook(path)
    sheet = workbook.worksheets[0]
    assert [cell.value for cell in sheet[2]] == ["*姓名", "*身份证号", "出生日期", "联系电话"]
    assert "必填" in sheet["A2"].comment.text and "18 位居民身份证号码" in sheet["B2"].comment.text
    assert sheet["B3"].value == "110105199001011234" and sheet["B3"].data_type == "s"
    assert sheet.column_dimensions["B"].number_format == "@" or sheet["B3"].number_format == "@"
    assert sheet["C3"].is_date
    workbook.close()
    with open_rows(path) as source:
        match = detect_header(source, sample_spec)
        assert match.header_row == 2
        assert next(match.data_rows(source))[1][:2] == ["张三", "110105199001011234"]


@pytest.mark.django_db
def test_expired_uploads_are_purged_but_jobs_stay(world, sample_spec, media):
    tree, user = world
    job = import_start(
        actor=user, spec_key=sample_spec.key, org=tree.community_a1, uploaded_file=upload(messy_workbook())
    )
    path = services.job_file(job)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.DONE, updated_at=timezone.now() - timedelta(days=31)
    )
    assert services.purge_expired_files(days=30) == 1
    job.refresh_from_db()
    assert not path.exists() and job.stored_file == ""
    assert not services.can_resume(job)


@run_jobs
def test_slow_batches_get_smaller_so_the_write_lock_is_not_held_for_long(
    world, sample_spec, media, monkeypatch
):
    tree, user = world
    # A batch of 5,000 person updates held SQLite's write lock 14 s: other users' logins failed ("database is
    # locked"). A slow batch makes the next ones smaller; quick ones let them grow back to the spec's size.
    job = make_job_row(tree, user)
    run = services.ImportRun(job, sample_spec, "token")
    sample_spec.batch_size = 5000
    assert run.batch_limit == 3  # the spec's size when small
    run = services.ImportRun(job, sample_spec, "token")
    assert run.batch_limit == services.FIRST_BATCH  # a first batch of 5,000 could already be too slow
    run.batch_limit = 5000
    run._adapt_batch(14.0)
    assert run.batch_limit == int(5000 * services.BATCH_LOCK_BUDGET / 14.0)
    for _ in range(10):
        run._adapt_batch(60.0)
    assert run.batch_limit == services.MIN_BATCH
    for _ in range(10):
        run._adapt_batch(0.1)
    assert run.batch_limit == 5000

    # Every batch slow, down to one row a batch: every row is still saved exactly once, errors reported.
    monkeypatch.setattr(services, "BATCH_LOCK_BUDGET", -1.0)
    monkeypatch.setattr(services, "MIN_BATCH", 1)
    sample_spec.batch_size = 3
    job = import_start(
        actor=user, spec_key=sample_spec.key, org=tree.community_a1, uploaded_file=upload(messy_workbook())
    )
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert Counter(SAVES) == {key: 1 for key in VALID_IDS}
    assert (job.rows_processed, job.created_count, job.error_count, job.issue_count) == (9, 4, 5, 5)


def make_job_row(tree, user) -> ImportJob:
    return ImportJob.objects.create(
        org=tree.community_a1, created_by=user, spec_key="selftest-person", original_name="a.xlsx"
    )


@run_jobs
def test_the_templates_example_row_is_skipped_in_any_file_type_and_a_real_row_below_it_imports(
    world, sample_spec, media
):
    tree, user = world
    template = openpyxl.load_workbook(io.BytesIO(template_workbook(sample_spec)))
    sheet = template.worksheets[0]
    sheet.append(["王五", "110105198505053456", None, "13912345678"])  # the example's phone, a real person
    output = io.BytesIO()
    template.save(output)
    as_xls = xls_bytes(
        [
            ["姓名", "身份证号", "出生日期", "联系电话"],
            ["张三", "110105199001011234", date(1990, 1, 1), 13912345678],
        ]
    )
    as_csv = "姓名,身份证号,出生日期,联系电话\r\n张三,110105199001011234,1990/1/1,13912345678\r\n".encode(
        "gb18030"
    )
    for data, name, created in (
        (output.getvalue(), "模板.xlsx", 1),
        (as_xls, "模板.xls", 0),
        (as_csv, "模板.csv", 0),
    ):
        job = import_start(
            actor=user, spec_key=sample_spec.key, org=tree.community_a1, uploaded_file=upload(data, name)
        )
        job.refresh_from_db()
        assert (job.status, job.created_count, job.error_count, job.example_count) == (
            "done",
            created,
            0,
            1,
        ), name
        assert (
            AuditEvent.objects.filter(event_name="spreadsheets.import.finished", target_id=str(job.pk))
            .get()
            .after["examples"]
            == 1
        )
    assert set(STORE) == {"110105198505053456"}  # 张三 of the example never imported
