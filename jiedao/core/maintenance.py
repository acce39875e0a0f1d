"""Keeping the database's query planner informed.

SQLite chooses between the org index and the name-prefix index of a large table by its statistics; without
them a name search in a district of a million persons scans the org index (≈120 ms at 50k rows instead of
10 ms). `PRAGMA optimize` refreshes statistics only where the data changed enough, so it is cheap to run
after bulk loads and periodically. PostgreSQL's autovacuum analyses on its own; after a bulk load an explicit
ANALYZE saves waiting for it.
"""

from __future__ import annotations

import sqlite3

from django.db import connection

# `PRAGMA optimize` looks at every table (flag 0x10000) only from SQLite 3.46; before, it considers only the
# tables the connection itself has queried, and the periodic job's fresh connection has queried none.
_OPTIMIZE_SEES_ALL_TABLES = sqlite3.sqlite_version_info >= (3, 46)


def optimize_sqlite(cursor) -> None:
    """Refresh SQLite's planner statistics, each index sampled (analysis_limit) so it stays cheap on large
    tables: `PRAGMA optimize` where it sees every table, a sampled ANALYZE on older SQLite (Debian 12 has
    3.40, where the 6-hourly job used to gather nothing and a district person list went back to sorting)."""
    cursor.execute("PRAGMA analysis_limit=1000")
    if _OPTIMIZE_SEES_ALL_TABLES:
        cursor.execute("PRAGMA optimize=0x10002")
    else:
        cursor.execute("ANALYZE")


def optimize_database(*, tables: tuple[str, ...] = ()) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            optimize_sqlite(cursor)
        elif connection.vendor == "postgresql":
            for table in tables:
                cursor.execute(f'ANALYZE "{table}"')
