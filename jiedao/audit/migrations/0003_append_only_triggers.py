"""Database triggers that refuse UPDATE (and DELETE outside archiving) on the audit tables.

PostgreSQL: DELETE of events is allowed only when the transaction ran `SET LOCAL jiedao.audit_archiving = 'on'`.
SQLite: the DELETE trigger asks `jiedao_audit_delete_allowed()`, a function jiedao.audit.db_guards registers on
each connection. The SQL is kept here verbatim (not imported) so this migration never changes.
"""

from django.db import migrations

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


def _run(schema_editor, statements_by_vendor):
    for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql, params=None)


def install(apps, schema_editor):
    _run(schema_editor, {"postgresql": POSTGRESQL_INSTALL, "sqlite": SQLITE_INSTALL})


def uninstall(apps, schema_editor):
    _run(schema_editor, {"postgresql": POSTGRESQL_UNINSTALL, "sqlite": SQLITE_UNINSTALL})


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0002_actor_name_index"),
    ]

    operations = [
        migrations.RunPython(install, uninstall),
    ]
