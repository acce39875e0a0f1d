"""Benchmark: the time-limit sweep over many open clocks, against the raw SQL floor.

    DJANGO_SETTINGS_MODULE=jiedao.settings.dev .venv/bin/python bench/bench_clock_sweep.py --rows 1000000

Works on a throwaway database that it creates and removes: a SQLite file in a fresh temporary JIEDAO_VAR_DIR,
or, when DATABASE_URL points at PostgreSQL, a new database `<name>_bench_<pid>` on the same server. The
configured development database is never touched.

It inserts N clocks with raw `executemany` (90% running, 5% paused, 5% stopped; `--changing` of them due to
turn yellow or red at the sweep moment), then times

* `sweep_clocks(now)` — the service: select the changing ids, INSERT…SELECT the status events, UPDATE,
  audit summary;
* the same two status UPDATEs as bare SQL — the floor no implementation can beat;
* a quiet sweep where nothing changes (the common case every five minutes).

Each figure is the best of `--repeat` runs, statuses reset in between.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--rows", type=int, default=1_000_000, help="open clocks to insert (default 1,000,000)"
    )
    parser.add_argument(
        "--changing",
        type=float,
        default=0.02,
        help="share of clocks that turn red, and again that turn yellow (0.02)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure; the best is reported (3)")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway database afterwards")
    return parser.parse_args()


class ThrowawayDatabase:
    """Points the settings at a new database before Django starts, and removes it afterwards."""

    def __init__(self, keep: bool):
        self.keep = keep
        self.tmpdir: str | None = None
        self.pg_admin_url: str | None = None
        self.pg_name: str | None = None

    def __enter__(self) -> str:
        url = os.environ.get("DATABASE_URL", "")
        if url.startswith(("postgres://", "postgresql://")):
            import psycopg

            parts = urlsplit(url)
            base = parts.path.lstrip("/") or "jiedao"
            self.pg_name = f"{base}_bench_{os.getpid()}"
            self.pg_admin_url = url
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{self.pg_name}"')
            os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{self.pg_name}"))
            return f"PostgreSQL database {self.pg_name}"
        os.environ.pop("DATABASE_URL", None)
        self.tmpdir = tempfile.mkdtemp(prefix="jiedao-bench-")
        os.environ["JIEDAO_VAR_DIR"] = self.tmpdir
        return f"SQLite file {self.tmpdir}/jiedao.sqlite3"

    def __exit__(self, *exc) -> None:
        if self.keep:
            print(f"kept: {self.pg_name or self.tmpdir}")
            return
        if self.pg_name:
            from django.db import connections

            connections.close_all()
            import psycopg

            with psycopg.connect(self.pg_admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.pg_name}"')
        if self.tmpdir:
            shutil.rmtree(self.tmpdir, ignore_errors=True)


def insert_clocks(rows: int, changing: float, now) -> dict[str, int]:
    """Raw executemany of `rows` clocks; returns how many should turn yellow / red at `now`."""
    import datetime as dt
    from decimal import Decimal

    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction

    from jiedao.core.models import SystemAlert
    from jiedao.orgs.models import OrgUnit
    from jiedao.timelimits.models import Clock

    org = OrgUnit.objects.create(name="基准测试区", level=1, division_code="330199000000", path="tmp")
    org.path = org.path_for(None)
    org.save(update_fields=["path"])
    content_type = ContentType.objects.get_for_model(SystemAlert)
    fields = [
        "org", "created_by", "created_at", "updated_at", "content_type", "object_id", "kind", "rule", "limit",
        "yellow_ratio", "started_at", "due_at", "yellow_at", "paused_at", "stopped_at", "extended_units",
        "paused_days", "paused_time", "overdue_at_stop", "status",
    ]  # fmt: skip
    meta = Clock._meta
    columns = ", ".join(connection.ops.quote_name(meta.get_field(f).column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {connection.ops.quote_name(meta.db_table)} ({columns}) VALUES ({placeholders})"

    adapted: dict = {}

    def moment(minutes: int):
        value = adapted.get(minutes)
        if value is None:
            value = adapted[minutes] = connection.ops.adapt_datetimefield_value(
                now + dt.timedelta(minutes=minutes)
            )
        return value

    ratio = connection.ops.adapt_decimalfield_value(Decimal("0.80"), 3, 2)
    zero = meta.get_field("paused_time").get_db_prep_value(dt.timedelta(0), connection)
    kinds = ["services.application", "workflow.task", "petitions.petition", "onekey.call", "disclosure.duty"]
    step = max(1, round(1 / changing)) if changing > 0 else 0
    expected = {"yellow": 0, "red": 0}
    batch: list[tuple] = []
    with transaction.atomic():
        for i in range(rows):
            bucket = i % 20
            kind = kinds[i % len(kinds)]
            started, paused, stopped = moment(-14400 - i % 1000), None, None
            if bucket == 0:  # 5% paused, long past their deadline: the sweep must leave them alone
                status, yellow, due, paused = "paused", moment(-3000), moment(-1000), moment(-2000)
            elif bucket == 1:  # 5% stopped
                status, yellow, due, stopped = "stopped", moment(-3000), moment(-1000), moment(-2000)
            elif step and i % step == 2:  # turns red
                status, yellow, due = "green", moment(-600 - i % 500), moment(-1 - i % 300)
                expected["red"] += 1
            elif step and i % step == 3:  # turns yellow
                status, yellow, due = "green", moment(-1 - i % 300), moment(1 + i % 5000)
                expected["yellow"] += 1
            else:  # running, nothing due
                status, yellow, due = "green", moment(5 + i % 20000), moment(20005 + i % 20000)
            batch.append((
                org.pk, None, started, started, content_type.pk, str(i), kind, "working_days", 10, ratio,
                started, due, yellow, paused, stopped, 0, 0, zero, False, status,
            ))  # fmt: skip
            if len(batch) == 50_000:
                with connection.cursor() as cursor:
                    cursor.executemany(sql, batch)
                batch.clear()
        if batch:
            with connection.cursor() as cursor:
                cursor.executemany(sql, batch)
    vacuum()
    return expected


def vacuum() -> None:
    """Clear the dead rows the resets leave, as autovacuum would between sweeps (PostgreSQL)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def reset_statuses() -> None:
    from django.db import connection, transaction

    from jiedao.timelimits.models import Clock, ClockEvent

    with transaction.atomic(), connection.cursor() as cursor:
        clock, event = (
            connection.ops.quote_name(Clock._meta.db_table),
            connection.ops.quote_name(ClockEvent._meta.db_table),
        )
        cursor.execute(f"UPDATE {clock} SET status = 'green' WHERE status IN ('yellow', 'red')")
        cursor.execute(f"DELETE FROM {event}")
    vacuum()


def raw_floor(now) -> None:
    from django.db import connection, transaction

    from jiedao.timelimits.models import Clock

    table = connection.ops.quote_name(Clock._meta.db_table)
    stamp = connection.ops.adapt_datetimefield_value(now)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET status = 'red', updated_at = %s "
            "WHERE status IN ('green', 'yellow') AND due_at < %s",
            [stamp, stamp],
        )
        cursor.execute(
            f"UPDATE {table} SET status = 'yellow', updated_at = %s WHERE status = 'green' AND yellow_at < %s",
            [stamp, stamp],
        )


def best_of(repeat: int, run, before=None) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        if before:
            before()
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    args = parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiedao.settings.dev")
    with ThrowawayDatabase(args.keep) as where:
        import django

        django.setup()
        from django.core.management import call_command
        from django.utils import timezone

        from jiedao.timelimits.services import sweep_clocks

        print(f"database: {where}")
        call_command("migrate", verbosity=0)
        now = timezone.now().replace(microsecond=0)
        started = time.perf_counter()
        expected = insert_clocks(args.rows, args.changing, now)
        print(f"inserted {args.rows:,} clocks in {time.perf_counter() - started:.1f} s "
              f"(expect {expected['yellow']:,} → yellow, {expected['red']:,} → red)")  # fmt: skip

        sweep_time, result = best_of(args.repeat, lambda: sweep_clocks(now=now), reset_statuses)
        assert (result.turned_yellow, result.turned_red) == (expected["yellow"], expected["red"]), result
        quiet_time, quiet = best_of(args.repeat, lambda: sweep_clocks(now=now))
        assert (quiet.turned_yellow, quiet.turned_red) == (0, 0), quiet
        floor_time, _ = best_of(args.repeat, lambda: raw_floor(now), reset_statuses)

        print(
            f"sweep_clocks:          {sweep_time * 1000:9.1f} ms  ({result.turned_yellow:,} yellow, {result.turned_red:,} red)"
        )
        print(f"raw SQL UPDATE floor:  {floor_time * 1000:9.1f} ms")
        print(f"ratio sweep / floor:   {sweep_time / floor_time:9.2f}")
        print(f"quiet sweep (no change): {quiet_time * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
