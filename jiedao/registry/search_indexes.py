"""Database-specific search structures for persons (see docs/benchmarks.md for what each buys).

SQLite: `LIKE 'x%'` uses an index only when it is declared COLLATE NOCASE; address substrings use an FTS5
table with the trigram tokenizer, kept in step by triggers.
PostgreSQL: prefix LIKE needs `text_pattern_ops`; address substrings use a pg_trgm GIN index (the database
must have a UTF-8 ctype, or pg_trgm drops Chinese characters).
"""

from __future__ import annotations

import json
from collections.abc import Iterable

PREFIX_COLUMNS = ("name", "name_pinyin", "name_initials")
FTS_INSERT_TRIGGER = (
    "CREATE TRIGGER IF NOT EXISTS registry_person_fts_ai AFTER INSERT ON registry_person BEGIN "
    "INSERT INTO registry_person_address_fts(rowid, residence_address) VALUES (new.id, new.residence_address); END"
)
FTS_UPDATE_TRIGGER = (
    "CREATE TRIGGER IF NOT EXISTS registry_person_fts_au AFTER UPDATE OF residence_address ON registry_person BEGIN "
    "INSERT INTO registry_person_address_fts(registry_person_address_fts, rowid, residence_address) "
    "VALUES ('delete', old.id, old.residence_address); "
    "INSERT INTO registry_person_address_fts(rowid, residence_address) VALUES (new.id, new.residence_address); END"
)

SQLITE_CREATE = [
    *(
        f"CREATE INDEX IF NOT EXISTS registry_person_{c}_ci ON registry_person ({c} COLLATE NOCASE)"
        for c in PREFIX_COLUMNS
    ),
    "CREATE INDEX IF NOT EXISTS registry_enterprise_name_ci ON registry_enterprise (name COLLATE NOCASE)",
    "CREATE VIRTUAL TABLE IF NOT EXISTS registry_person_address_fts USING fts5("
    "residence_address, content='registry_person', content_rowid='id', tokenize='trigram')",
    FTS_INSERT_TRIGGER,
    "CREATE TRIGGER IF NOT EXISTS registry_person_fts_ad AFTER DELETE ON registry_person BEGIN "
    "INSERT INTO registry_person_address_fts(registry_person_address_fts, rowid, residence_address) "
    "VALUES ('delete', old.id, old.residence_address); END",
    FTS_UPDATE_TRIGGER,
    "INSERT INTO registry_person_address_fts(registry_person_address_fts) VALUES ('rebuild')",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS registry_person_fts_au",
    "DROP TRIGGER IF EXISTS registry_person_fts_ad",
    "DROP TRIGGER IF EXISTS registry_person_fts_ai",
    "DROP TABLE IF EXISTS registry_person_address_fts",
    "DROP INDEX IF EXISTS registry_enterprise_name_ci",
    *(f"DROP INDEX IF EXISTS registry_person_{c}_ci" for c in PREFIX_COLUMNS),
]
POSTGRES_CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    *(
        f"CREATE INDEX IF NOT EXISTS registry_person_{c}_prefix ON registry_person ({c} text_pattern_ops)"
        for c in PREFIX_COLUMNS
    ),
    "CREATE INDEX IF NOT EXISTS registry_enterprise_name_prefix ON registry_enterprise (name text_pattern_ops)",
    "CREATE INDEX IF NOT EXISTS registry_person_address_trgm ON registry_person "
    "USING gin (residence_address gin_trgm_ops)",
]
POSTGRES_DROP = [
    "DROP INDEX IF EXISTS registry_person_address_trgm",
    "DROP INDEX IF EXISTS registry_enterprise_name_prefix",
    *(f"DROP INDEX IF EXISTS registry_person_{c}_prefix" for c in PREFIX_COLUMNS),
]


def _run(schema_editor, statements) -> None:
    for statement in statements:
        schema_editor.execute(statement)


def ensure(connection) -> None:
    """Re-create whatever is missing. SQLite loses indexes and triggers it does not know the model for
    whenever a migration rebuilds the person table, so this runs after every migrate (post_migrate)."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE tbl_name IN ('registry_person', 'registry_enterprise',"
            " 'registry_person_address_fts')"
        )
        present = {row[0] for row in cursor.fetchall()}
        if "registry_person" not in {
            t
            for (t,) in cursor.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name='registry_person'"
            ).fetchall()
        }:
            return
        wanted = {
            "registry_person_address_fts",
            "registry_person_fts_ai",
            "registry_person_fts_ad",
            "registry_person_fts_au",
            "registry_enterprise_name_ci",
            *(f"registry_person_{c}_ci" for c in PREFIX_COLUMNS),
        }
        if wanted <= present:
            return
        for statement in SQLITE_CREATE:
            cursor.execute(statement)


def create(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    _run(
        schema_editor,
        SQLITE_CREATE if vendor == "sqlite" else POSTGRES_CREATE if vendor == "postgresql" else [],
    )


def drop(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    _run(
        schema_editor, SQLITE_DROP if vendor == "sqlite" else POSTGRES_DROP if vendor == "postgresql" else []
    )


class AddressIndexBatch:
    """Keep the SQLite address index in step with a bulk write set-based instead of row by row.

    Each statement a trigger runs against an FTS5 table flushes FTS5's pending terms (a statement savepoint),
    so the per-row triggers cost ≈ 0.1 ms a row on import, more than every B-tree index of the table put
    together; one `INSERT … SELECT` per batch costs next to nothing. Inside the batch's transaction the
    insert and update triggers are dropped, the caller writes and reports what it wrote (`added`, `moved`),
    and on leaving the rows are indexed with one statement each and the triggers re-created. DDL is
    transactional in SQLite and the transaction holds the database's only write lock, so no other connection
    ever writes while the triggers are missing: every other write path (services, admin, API) keeps its
    triggers. Outside SQLite, or where the FTS table does not exist, this does nothing.
    """

    def __init__(self, connection):
        self.connection = connection
        self.active = False
        self.added_ids: list[int] = []
        self.old_addresses: dict[int, str] = {}

    def __enter__(self) -> AddressIndexBatch:
        if self.connection.vendor != "sqlite":
            return self
        if not self.connection.in_atomic_block:
            # Dropped triggers would be visible to other writers between autocommitted statements.
            raise RuntimeError("AddressIndexBatch must be used inside transaction.atomic()")
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM sqlite_master WHERE name IN "
                "('registry_person_address_fts', 'registry_person_fts_ai', 'registry_person_fts_au')"
            )
            if cursor.fetchone()[0] != 3:
                return self
            cursor.execute("DROP TRIGGER registry_person_fts_ai")
            cursor.execute("DROP TRIGGER registry_person_fts_au")
        self.active = True
        return self

    def added(self, ids: Iterable[int]) -> None:
        """Rows inserted into registry_person while the batch is open."""
        if self.active:
            self.added_ids.extend(ids)

    def moved(self, person_id: int, old_address: str) -> None:
        """A row whose residence_address is (or may be) updated, with its address as stored before."""
        if self.active:
            self.old_addresses.setdefault(person_id, old_address)

    def __exit__(self, exc_type, exc, traceback) -> None:
        if not self.active:
            return
        self.active = False
        with self.connection.cursor() as cursor:
            try:
                if exc_type is None:
                    self._index(cursor)
            finally:
                cursor.execute(FTS_INSERT_TRIGGER)
                cursor.execute(FTS_UPDATE_TRIGGER)

    def _index(self, cursor) -> None:
        if self.old_addresses:
            # The external-content table forgets an entry only when told the exact text it indexed.
            cursor.execute(
                "INSERT INTO registry_person_address_fts(registry_person_address_fts, rowid, residence_address)"
                " SELECT 'delete', CAST(key AS INTEGER), value FROM json_each(%s)",
                [json.dumps({str(pk): address for pk, address in self.old_addresses.items()})],
            )
        ids = [*self.added_ids, *self.old_addresses]
        if ids:
            cursor.execute(
                "INSERT INTO registry_person_address_fts(rowid, residence_address) SELECT id, residence_address"
                " FROM registry_person WHERE id IN (SELECT value FROM json_each(%s))",
                [json.dumps(ids)],
            )
