"""The database guards stay in place through migrations and do not get in the way of legitimate resets."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.sql import emit_post_migrate_signal
from django.db import DatabaseError, connection, transaction

from jiedao.audit import services
from jiedao.audit.models import AuditEvent
from jiedao.audit.tests.conftest import raw_sql
from jiedao.orgs import audit_events as org_events


def _sqlite_triggers() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name LIKE 'audit_%'")
        return {name for (name,) in cursor.fetchall()}


@pytest.mark.django_db
def test_sqlite_triggers_come_back_after_a_table_rebuild():
    """SQLite drops a table's triggers when a migration rebuilds the table; post_migrate puts them back."""
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL keeps triggers through ALTER TABLE")
    expected = {
        "audit_auditevent_no_update",
        "audit_auditevent_no_delete",
        "audit_auditarchive_no_update",
        "audit_auditarchive_no_delete",
    }
    assert _sqlite_triggers() == expected
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER audit_auditevent_no_update")
        cursor.execute("DROP TRIGGER audit_auditevent_no_delete")
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    assert _sqlite_triggers() == expected


@pytest.mark.django_db
def test_delete_is_refused_again_after_archiving(tree, settings, tmp_path, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    settings.VAR_DIR = tmp_path
    monkeypatch.setattr(services, "_now", lambda: timezone.now() - timedelta(days=400))
    services.record(org_events.ORG_RENAMED, target=tree.community_a1)
    monkeypatch.undo()
    keep = services.record(org_events.ORG_RENAMED, target=tree.community_a1)
    assert services.archive_expired(retention_days=180).event_count == 1
    with pytest.raises(DatabaseError), transaction.atomic():
        raw_sql("DELETE FROM audit_auditevent WHERE id = %s", [keep.pk])
    assert AuditEvent.objects.filter(pk=keep.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_flush_still_empties_the_database(tree):
    """`manage.py flush` and the test runner's reset between transactional tests are not blocked."""
    services.record(org_events.ORG_RENAMED, target=tree.community_a1)
    call_command("flush", interactive=False, verbosity=0)
    assert not AuditEvent.objects.exists()
    services.record(org_events.ORG_RENAMED, message="flush 之后")  # left for the runner's own flush
