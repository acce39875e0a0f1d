"""Database-specific search structures for persons (see docs/benchmarks.md for what each buys).

SQLite: `LIKE 'x%'` uses an index only when it is declared COLLATE NOCASE; address substrings use an FTS5
table with the trigram tokenizer, kept in step by triggers.
PostgreSQL: prefix LIKE needs `text_pattern_ops`; address substrings use a pg_trgm GIN index (the database
must have a UTF-8 ctype, or pg_trgm drops Chinese characters).
"""

PREFIX_COLUMNS = ("name", "name_pinyin", "name_initials")

SQLITE_CREATE = [
    *(
        f"CREATE INDEX IF NOT EXISTS registry_person_{c}_ci ON registry_person ({c} COLLATE NOCASE)"
        for c in PREFIX_COLUMNS
    ),
    "CREATE INDEX IF NOT EXISTS registry_enterprise_name_ci ON registry_enterprise (name COLLATE NOCASE)",
    "CREATE VIRTUAL TABLE IF NOT EXISTS registry_person_address_fts USING fts5("
    "residence_address, content='registry_person', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER IF NOT EXISTS registry_person_fts_ai AFTER INSERT ON registry_person BEGIN "
    "INSERT INTO registry_person_address_fts(rowid, residence_address) VALUES (new.id, new.residence_address); END",
    "CREATE TRIGGER IF NOT EXISTS registry_person_fts_ad AFTER DELETE ON registry_person BEGIN "
    "INSERT INTO registry_person_address_fts(registry_person_address_fts, rowid, residence_address) "
    "VALUES ('delete', old.id, old.residence_address); END",
    "CREATE TRIGGER IF NOT EXISTS registry_person_fts_au AFTER UPDATE OF residence_address ON registry_person BEGIN "
    "INSERT INTO registry_person_address_fts(registry_person_address_fts, rowid, residence_address) "
    "VALUES ('delete', old.id, old.residence_address); "
    "INSERT INTO registry_person_address_fts(rowid, residence_address) VALUES (new.id, new.residence_address); END",
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
