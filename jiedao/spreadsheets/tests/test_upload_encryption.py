"""Uploaded import spreadsheets hold ID numbers and phones: they are kept SM4-GCM encrypted on disk while
retained for resuming, read through a plaintext working copy that is removed after each run, re-encrypted by
key rotation, and refused with a Chinese message when they no longer decrypt."""

from __future__ import annotations

import io
import os
import secrets
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from jiedao.core import crypto
from jiedao.core.testing import build_tree, make_user
from jiedao.spreadsheets import services
from jiedao.spreadsheets.models import ImportStatus
from jiedao.spreadsheets.services import import_run, import_start
from jiedao.spreadsheets.tests.conftest import STORE, VALID_IDS, messy_workbook
from jiedao.spreadsheets.tests.test_imports import IMPORTER_PERMS, run_jobs, stored_files, upload


@pytest.fixture
def world(db):
    tree = build_tree()
    return tree, make_user(tree.community_a1, *IMPORTER_PERMS)


def on_disk(job) -> bytes:
    return services.job_file(job).read_bytes()


@run_jobs
def test_stored_upload_is_encrypted_and_no_plaintext_copy_is_left(world, sample_spec, media):
    tree, user = world
    original = messy_workbook()
    job = import_start(
        actor=user, spec_key=sample_spec.key, org=tree.community_a1, uploaded_file=upload(original)
    )
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE and set(STORE) == VALID_IDS
    blob = on_disk(job)
    assert crypto.is_encrypted_bytes(blob) and not blob.startswith(b"PK")  # not a readable .xlsx package
    assert crypto.decrypt_bytes(blob) == original
    assert job.file_size == len(original)  # the size the user uploaded
    assert stored_files(media) == [services.job_file(job)]  # nothing else: the working copy is gone


@run_jobs
def test_rotation_re_encrypts_retained_uploads_and_resume_still_reads_them(
    world,
    sample_spec,
    media,
    settings,
):
    tree, user = world
    sample_spec.fail_on_batch = 1  # the worker "dies": the upload is kept to resume from
    job = import_start(
        actor=user, spec_key=sample_spec.key, org=tree.community_a1, uploaded_file=upload(messy_workbook())
    )
    old_key_id = on_disk(job)[len(crypto.FILE_MAGIC) : len(crypto.FILE_MAGIC) + 8]
    settings.JIEDAO_FIELD_KEYS = [secrets.token_hex(16), *settings.JIEDAO_FIELD_KEYS]
    call_command("rotate_field_keys", stdout=io.StringIO())
    new_key_id = on_disk(job)[len(crypto.FILE_MAGIC) : len(crypto.FILE_MAGIC) + 8]
    assert new_key_id != old_key_id and new_key_id.decode() == crypto.key_id(crypto._keys()[0])

    settings.JIEDAO_FIELD_KEYS = settings.JIEDAO_FIELD_KEYS[:1]  # the old key is dropped
    sample_spec.fail_on_batch = None
    assert import_run(job.pk)["status"] == ImportStatus.DONE
    assert set(STORE) == VALID_IDS


@run_jobs
def test_upload_stored_in_plaintext_by_an_earlier_version_is_read_and_encrypted_by_rotation(
    world,
    sample_spec,
    media,
):
    tree, user = world
    sample_spec.fail_on_batch = 1
    job = import_start(
        actor=user, spec_key=sample_spec.key, org=tree.community_a1, uploaded_file=upload(messy_workbook())
    )
    services.job_file(job).write_bytes(messy_workbook())  # as stored before uploads were encrypted
    assert services.rewrite_stored_uploads() == 1
    assert crypto.is_encrypted_bytes(on_disk(job))
    assert services.rewrite_stored_uploads() == 0  # already under the newest key
    sample_spec.fail_on_batch = None
    assert import_run(job.pk)["status"] == ImportStatus.DONE and set(STORE) == VALID_IDS


@run_jobs
def test_tampered_upload_fails_the_job_with_a_chinese_message_and_leaves_no_plaintext(
    world,
    sample_spec,
    media,
):
    tree, user = world
    sample_spec.fail_on_batch = 1
    job = import_start(
        actor=user, spec_key=sample_spec.key, org=tree.community_a1, uploaded_file=upload(messy_workbook())
    )
    STORE.clear()
    tampered = bytearray(on_disk(job))
    tampered[-40] ^= 0x01
    services.job_file(job).write_bytes(bytes(tampered))
    sample_spec.fail_on_batch = None
    import_run(job.pk)
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert job.failure_message == "导入文件无法解密（密钥已更换或文件损坏）。请重新上传。"
    assert STORE == {}
    assert stored_files(media) == [services.job_file(job)]


@pytest.mark.django_db
def test_purge_removes_working_copies_a_killed_worker_left_behind(media):
    stale = services.working_dir() / "0123abcd.xlsx"
    stale.write_bytes(b"PK plaintext left by a killed worker")
    fresh = services.working_dir() / "4567cdef.xlsx"
    fresh.write_bytes(b"PK a run in progress")
    two_days_ago = (timezone.now() - timedelta(days=2)).timestamp()
    os.utime(stale, (two_days_ago, two_days_ago))
    assert services.purge_expired_files() == 1
    assert not stale.exists() and fresh.exists()


@run_jobs
def test_plaintext_copy_of_a_killed_worker_is_removed_when_the_job_is_run_again(world, sample_spec, media):
    tree, user = world
    sample_spec.fail_on_batch = 1
    job = import_start(
        actor=user, spec_key=sample_spec.key, org=tree.community_a1, uploaded_file=upload(messy_workbook())
    )
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    # `kill -9` of the worker: its plaintext copy of the upload (ID numbers, phones) stays in the work directory;
    # copies of other jobs, or of someone downloading this job's error report, are not the run's to remove.
    killed = services.working_dir() / f"job{job.pk}-run-0123abcd.xlsx"
    killed.write_bytes(messy_workbook())
    reading = services.working_dir() / "89abcdef.xlsx"
    other = services.working_dir() / f"job{job.pk + 1}-run-4567cdef.xlsx"
    for path in (reading, other):
        path.write_bytes(b"PK")
    sample_spec.fail_on_batch = None
    assert import_run(job.pk)["status"] == ImportStatus.DONE
    assert set(STORE) == VALID_IDS
    assert not killed.exists()
    assert reading.exists() and other.exists()
