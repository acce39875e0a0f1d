"""Keeping the database's query planner informed.

SQLite chooses between the org index and the name-prefix index of a large table by its statistics; without
them a name search in a district of a million persons scans the org index (≈120 ms at 50k rows instead of
10 ms). `PRAGMA optimize` refreshes statistics only where the data changed enough, so it is cheap to run
after bulk loads and periodically. PostgreSQL's autovacuum analyses on its own; after a bulk load an explicit
ANALYZE saves waiting for it.
"""

from __future__ import annotations

from django.db import connection


def optimize_database(*, tables: tuple[str, ...] = ()) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA optimize=0x10002")
        elif connection.vendor == "postgresql":
            for table in tables:
                cursor.execute(f'ANALYZE "{table}"')
