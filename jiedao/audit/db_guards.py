"""Database-level guards that keep the audit tables append-only, whatever code talks to the database.

PostgreSQL: one statement-level trigger per table. UPDATE is always refused; DELETE on audit_auditevent only
when the transaction has `SET LOCAL jiedao.audit_archiving = 'on'` (done by `archive_expired`).

SQLite (development and tests): the same rules as triggers. SQLite has no session variables, so the DELETE
trigger asks a function that Django registers on each connection (`jiedao_audit_delete_allowed`): it says yes
inside `archiving_deletes()` and while `manage.py flush` (or the test runner's flush) empties every table.
A connection without the function (the sqlite3 shell) cannot delete at all.

TRUNCATE is not guarded on PostgreSQL: it needs table ownership, and the test runner uses it to reset the
database between transactional tests.
"""

from __future__ import annotations

import contextvars
import sys
from contextlib import contextmanager

from django.db import connections
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate

EVENT_TABLE = "audit_auditevent"
ARCHIVE_TABLE = "audit_auditarchive"

# The statements are repeated verbatim in migration 0003, which must not change when this module does.
POSTGRESQL_INSTALL = [
    """
    CREATE OR REPLACE FUNCTION audit_auditevent_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' AND coalesce(current_setting('jiedao.audit_archiving', true), '') = 'on' THEN
            RETURN NULL;
        END IF;
        RAISE EXCEPTION 'audit events are append-only: % refused', TG_OP;
    END
    $$
    """,
    "DROP TRIGGER IF EXISTS audit_auditevent_guard ON audit_auditevent",
    """
    CREATE TRIGGER audit_auditevent_guard BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION audit_auditevent_guard()
    """,
    """
    CREATE OR REPLACE FUNCTION audit_auditarchive_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit archive records are append-only: % refused', TG_OP;
    END
    $$
    """,
    "DROP TRIGGER IF EXISTS audit_auditarchive_guard ON audit_auditarchive",
    """
    CREATE TRIGGER audit_auditarchive_guard BEFORE UPDATE OR DELETE ON audit_auditarchive
    FOR EACH STATEMENT EXECUTE FUNCTION audit_auditarchive_guard()
    """,
]
POSTGRESQL_UNINSTALL = [
    "DROP TRIGGER IF EXISTS audit_auditevent_guard ON audit_auditevent",
    "DROP FUNCTION IF EXISTS audit_auditevent_guard()",
    "DROP TRIGGER IF EXISTS audit_auditarchive_guard ON audit_auditarchive",
    "DROP FUNCTION IF EXISTS audit_auditarchive_guard()",
]
SQLITE_INSTALL = [
    """
    CREATE TRIGGER IF NOT EXISTS audit_auditevent_no_update BEFORE UPDATE ON audit_auditevent
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS audit_auditevent_no_delete BEFORE DELETE ON audit_auditevent
    WHEN jiedao_audit_delete_allowed('audit_auditevent') IS NOT 1
    BEGIN SELECT RAISE(ABORT, 'audit events are archived, never deleted'); END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS audit_auditarchive_no_update BEFORE UPDATE ON audit_auditarchive
    BEGIN SELECT RAISE(ABORT, 'audit archive records are append-only'); END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS audit_auditarchive_no_delete BEFORE DELETE ON audit_auditarchive
    WHEN jiedao_audit_delete_allowed('audit_auditarchive') IS NOT 1
    BEGIN SELECT RAISE(ABORT, 'audit archive records are append-only'); END
    """,
]
SQLITE_UNINSTALL = [
    "DROP TRIGGER IF EXISTS audit_auditevent_no_update",
    "DROP TRIGGER IF EXISTS audit_auditevent_no_delete",
    "DROP TRIGGER IF EXISTS audit_auditarchive_no_update",
    "DROP TRIGGER IF EXISTS audit_auditarchive_no_delete",
]
_archiving: contextvars.ContextVar[bool] = contextvars.ContextVar("jiedao_audit_archiving", default=False)


def _flushing() -> bool:
    """True while Django's flush (manage.py flush, or the test runner between transactional tests) runs."""
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == "execute_sql_flush" and frame.f_globals.get("__name__", "").startswith(
            "django.db.backends"
        ):
            return True
        frame = frame.f_back
    return False


def _sqlite_delete_allowed(table: str) -> int:
    if table == EVENT_TABLE and _archiving.get():
        return 1
    return 1 if _flushing() else 0


def _register_sqlite_functions(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function("jiedao_audit_delete_allowed", 1, _sqlite_delete_allowed)


@contextmanager
def archiving_deletes(using: str = "default"):
    """Lets the enclosed code delete audit events. Must run inside the archiver's transaction."""
    connection = connections[using]
    if not connection.in_atomic_block:
        raise RuntimeError("archiving_deletes() must run inside transaction.atomic()")
    token = _archiving.set(True)
    try:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jiedao.audit_archiving = 'on'")
        yield
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jiedao.audit_archiving = 'off'")
    finally:
        _archiving.reset(token)


def install(connection) -> None:
    statements = {"postgresql": POSTGRESQL_INSTALL, "sqlite": SQLITE_INSTALL}.get(connection.vendor, [])
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def _reinstall_sqlite_triggers(sender, app_config=None, using="default", **kwargs) -> None:
    """SQLite drops a table's triggers when a migration rebuilds the table; put them back after migrate."""
    if app_config is None or app_config.label != "audit":
        return
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
        applied = cursor.execute(
            "SELECT 1 FROM django_migrations WHERE app = 'audit' AND name = '0003_append_only_triggers'"
        ).fetchone()
    if {EVENT_TABLE, ARCHIVE_TABLE} <= tables and applied:
        install(connection)


connection_created.connect(_register_sqlite_functions, dispatch_uid="jiedao_audit_sqlite_functions")
post_migrate.connect(_reinstall_sqlite_triggers, dispatch_uid="jiedao_audit_sqlite_triggers")
