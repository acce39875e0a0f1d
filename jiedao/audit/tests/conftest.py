from __future__ import annotations

from contextlib import contextmanager

import pytest
from django.db import connection

from jiedao.audit import db_guards
from jiedao.core.scope import DataScope
from jiedao.core.testing import make_user

AUDITOR_PERMISSIONS = ("audit.view_auditevent", "audit.export_auditevent", "audit.verify_auditevent")


@pytest.fixture
def auditor(tree):
    return make_user(
        tree.district, *AUDITOR_PERMISSIONS, scope=DataScope.ALL, username="auditor", admin_duty="audit"
    )


@pytest.fixture
def archive_root(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path / "audit-archive"


@contextmanager
def guards_disabled():
    """What someone with direct database access would do first: switch the append-only triggers off."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # ALTER TABLE refuses while the test's transaction holds deferred foreign-key checks.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_auditevent_guard")
        else:
            cursor.execute("DROP TRIGGER audit_auditevent_no_update")
            cursor.execute("DROP TRIGGER audit_auditevent_no_delete")
    try:
        yield
    finally:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_auditevent_guard")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        else:
            db_guards.install(connection)


def raw_sql(sql: str, params=()) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
