"""Retention: old events move to an SM3-sealed file, never silently disappear, and the chain still verifies."""

from __future__ import annotations

import gzip
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, transaction
from django.utils import timezone

from jiedao.audit import services
from jiedao.audit.audit_events import AUDIT_ARCHIVED
from jiedao.audit.models import AuditArchive, AuditEvent
from jiedao.audit.tests.conftest import guards_disabled, raw_sql
from jiedao.core.exceptions import ValidationFailed
from jiedao.core.schedule import JOBS
from jiedao.core.testing import make_user
from jiedao.orgs import audit_events as org_events
from jiedao.parameters.services import get_parameter, parameter_set

pytestmark = pytest.mark.django_db


def _events_at(monkeypatch, when, n: int, tree) -> list[AuditEvent]:
    monkeypatch.setattr(services, "_now", lambda: when)
    try:
        return [
            services.record(
                org_events.ORG_RENAMED, target=tree.community_a1, message=f"{when:%Y-%m-%d} 第 {i} 条"
            )
            for i in range(n)
        ]
    finally:
        monkeypatch.undo()


@pytest.fixture
def aged_log(tree, monkeypatch):
    """Three events 200 days old, two 100 days old, two from today."""
    now = timezone.now()
    old = _events_at(monkeypatch, now - timedelta(days=200), 3, tree)
    middle = _events_at(monkeypatch, now - timedelta(days=100), 2, tree)
    recent = _events_at(monkeypatch, now, 2, tree)
    return old, middle, recent


def test_archiving_moves_only_events_older_than_the_retention(aged_log, archive_root):
    old, middle, recent = aged_log
    archive = services.archive_expired(retention_days=180)
    assert archive is not None
    assert (archive.first_event_id, archive.last_event_id, archive.event_count) == (old[0].pk, old[-1].pk, 3)
    assert archive.last_hash == old[-1].hash
    assert not AuditEvent.objects.filter(pk__in=[e.pk for e in old]).exists()
    assert AuditEvent.objects.filter(pk__in=[e.pk for e in middle + recent]).count() == 4
    # The archiving itself is audited.
    assert AuditEvent.objects.filter(event_name=AUDIT_ARCHIVED.name, success=True).count() == 1

    path = archive_root / archive.file_path
    with gzip.open(path, "rt", encoding="utf-8") as source:
        lines = [json.loads(line) for line in source]
    assert [line["id"] for line in lines] == [e.pk for e in old]
    assert [line["hash"] for line in lines] == [e.hash for e in old]
    assert lines[0]["message"].endswith("第 0 条")

    assert services.verify_chain().ok
    report = services.verify_archives(deep=True)
    assert report.ok and report.checked == 1


def test_nothing_to_archive(aged_log, archive_root):
    assert services.archive_expired(retention_days=365) is None
    assert AuditArchive.objects.count() == 0
    assert services.verify_chain().checked == 7


def test_archiving_again_continues_the_chain(aged_log, archive_root, monkeypatch):
    old, middle, recent = aged_log
    services.archive_expired(retention_days=180)
    # 90 days later, the middle events have expired too (pretend by moving "now").
    later = timezone.now() + timedelta(days=90)
    monkeypatch.setattr(services, "_now", lambda: later)
    second = services.archive_expired(retention_days=180)
    monkeypatch.undo()
    assert (second.first_event_id, second.last_event_id) == (middle[0].pk, middle[-1].pk)
    assert services.verify_chain().ok
    assert services.verify_archives(deep=True).ok


def test_rerun_after_a_crash_rewrites_the_file(aged_log, archive_root):
    """A file was written but the transaction never committed: the rows are still there, a re-run redoes it."""
    old, _middle, _recent = aged_log
    archive_root.mkdir(parents=True)
    stale = archive_root / f"audit-{old[0].pk:012d}-{old[-1].pk:012d}.jsonl.gz"
    stale.write_bytes(b"half-written")
    archive = services.archive_expired(retention_days=180)
    assert archive.file_path == stale.name
    assert services.verify_archives(deep=True).ok
    assert services.verify_chain().ok


def test_a_failed_delete_leaves_events_in_place(aged_log, archive_root, monkeypatch):
    """If anything fails after the file is written, the archive row and the delete roll back together."""
    from jiedao.audit import db_guards

    def broken(*args, **kwargs):
        raise RuntimeError("crash between file and delete")

    monkeypatch.setattr(services, "archiving_deletes", broken)
    with pytest.raises(RuntimeError):
        services.archive_expired(retention_days=180)
    monkeypatch.setattr(services, "archiving_deletes", db_guards.archiving_deletes)
    assert AuditArchive.objects.count() == 0
    assert AuditEvent.objects.count() == 7
    archive = services.archive_expired(retention_days=180)
    assert archive.event_count == 3
    assert services.verify_chain().ok


def test_tampered_range_is_not_archived(aged_log, archive_root):
    old, _middle, _recent = aged_log
    with guards_disabled():
        raw_sql("UPDATE audit_auditevent SET message = %s WHERE id = %s", ["改过", old[1].pk])
    with pytest.raises(services.ArchiveRefused, match=f"#{old[1].pk}"):
        services.archive_expired(retention_days=180)
    assert AuditEvent.objects.filter(pk=old[1].pk).exists()
    assert services.verify_chain().broken_event_id == old[1].pk


def test_tampered_and_missing_archive_files_are_reported(aged_log, archive_root):
    archive = services.archive_expired(retention_days=180)
    path = archive_root / archive.file_path
    original = path.read_bytes()
    path.write_bytes(original[:-8] + b"\0" * 8)
    report = services.verify_archives()
    assert not report.ok
    assert "SM3" in report.problems[0].reason
    path.unlink()
    report = services.verify_archives()
    assert "缺失" in report.problems[0].reason
    with pytest.raises(CommandError):
        call_command("audit_verify")


def test_archive_rows_cannot_be_changed(aged_log, archive_root):
    archive = services.archive_expired(retention_days=180)
    with pytest.raises(DatabaseError), transaction.atomic():
        raw_sql("UPDATE audit_auditarchive SET last_hash = %s WHERE id = %s", ["0" * 64, archive.pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        raw_sql("DELETE FROM audit_auditarchive WHERE id = %s", [archive.pk])


def test_retention_below_six_months_is_refused(aged_log, archive_root):
    with pytest.raises(services.ArchiveRefused, match="180"):
        services.archive_expired(retention_days=90)
    assert AuditEvent.objects.count() == 7


def test_retention_parameter_defaults_to_180_and_refuses_less(tree):
    assert get_parameter("audit.retention_days") == 180
    admin = make_user(tree.district, "parameters.manage_systemparameter")
    with pytest.raises(ValidationFailed) as refused:
        parameter_set(actor=admin, key="audit.retention_days", raw_value="179")
    assert "180" in str(refused.value.message)
    assert parameter_set(actor=admin, key="audit.retention_days", raw_value="365") == 365
    assert get_parameter("audit.retention_days") == 365


def test_daily_job_archives_with_the_parameter(aged_log, archive_root):
    job = JOBS["audit.archive_expired"]
    assert job.every == timedelta(days=1)
    result = job.task.enqueue()
    assert result.return_value == {"archived": 3, "first": aged_log[0][0].pk, "last": aged_log[0][-1].pk}
    assert services.verify_chain().ok


def test_archive_command(aged_log, archive_root, capsys):
    call_command("audit_archive")
    assert "共 3 条" in capsys.readouterr().out
    call_command("audit_archive")
    assert "没有超过 180 天保留期" in capsys.readouterr().out
    with pytest.raises(CommandError, match="180"):
        call_command("audit_archive", "--retention-days", "30")


def test_archive_command_in_batches(aged_log, archive_root, capsys):
    call_command("audit_archive", "--max-events", "2")
    out = capsys.readouterr().out
    assert out.count("已归档") == 2
    assert AuditArchive.objects.count() == 2
    assert services.verify_archives(deep=True).ok
    assert services.verify_chain().ok
