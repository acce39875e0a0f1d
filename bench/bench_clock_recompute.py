"""Benchmark: recomputing open clocks after the administrator enters a year's holiday notice.

    DJANGO_SETTINGS_MODULE=jiedao.settings.dev .venv/bin/python bench/bench_clock_recompute.py --rows 1000000

On a throwaway database (as bench_clock_sweep.py: a temporary SQLite file, or a new PostgreSQL database when
DATABASE_URL points at one). It marks next year provisional, inserts N open working-day clocks started over
the last 60 days with limits of 5–60 working days (due dates computed by the provisional calendar, 5% paused),
enters a made-up notice for next year (元旦, a Spring Festival week with two make-up weekend days, 国庆节)
and times `clocks_recompute` over the whole year: how many clocks it examined and changed, the total time,
and the average batch transaction (what other writers wait for on SQLite).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--rows", type=int, default=1_000_000, help="open clocks to insert (default 1,000,000)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the throwaway database afterwards")
    return parser.parse_args()


def insert_clocks(rows: int, today) -> None:
    import datetime as dt
    from decimal import Decimal

    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction

    from jiedao.core.models import SystemAlert
    from jiedao.orgs.models import OrgUnit
    from jiedao.timelimits.models import Clock
    from jiedao.timelimits.services import compute_deadlines
    from jiedao.workcalendar.services import CHINA_TZ, current_calendar

    org = OrgUnit.objects.create(name="基准测试区", level=1, division_code="330199000000", path="tmp")
    org.path = org.path_for(None)
    org.save(update_fields=["path"])
    content_type = ContentType.objects.get_for_model(SystemAlert)
    fields = [
        "org", "created_by", "created_at", "updated_at", "content_type", "object_id", "kind", "rule", "limit",
        "yellow_ratio", "started_at", "due_at", "yellow_at", "paused_at", "stopped_at", "extended_units",
        "paused_days", "paused_time", "overdue_at_stop", "due_provisional", "status",
    ]  # fmt: skip
    meta = Clock._meta
    columns = ", ".join(connection.ops.quote_name(meta.get_field(f).column) for f in fields)
    sql = f"INSERT INTO {connection.ops.quote_name(meta.db_table)} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"
    adapt = connection.ops.adapt_datetimefield_value
    ratio = Decimal("0.80")
    zero = meta.get_field("paused_time").get_db_prep_value(dt.timedelta(0), connection)
    calendar = current_calendar()
    memo: dict = {}
    limits = [5, 10, 15, 20, 30, 45, 60]
    batch: list[tuple] = []
    with transaction.atomic():
        for i in range(rows):
            started = dt.datetime.combine(today - dt.timedelta(days=i % 60), dt.time(9, 0), tzinfo=CHINA_TZ)
            limit = limits[i % len(limits)]
            key = (started, limit)
            if key not in memo:
                memo[key] = compute_deadlines(
                    rule="working_days", started_at=started, limit=limit, ratio=ratio, calendar=calendar
                )
            due, yellow, provisional = memo[key]
            paused = adapt(started + dt.timedelta(days=1)) if i % 20 == 0 else None
            batch.append((
                org.pk, None, adapt(started), adapt(started), content_type.pk, str(i), "bench.clock", "working_days",
                limit, ratio, adapt(started), adapt(due), adapt(yellow), paused, None, 0, 0, zero, False,
                provisional, "paused" if paused else "green",
            ))  # fmt: skip
            if len(batch) == 50_000:
                with connection.cursor() as cursor:
                    cursor.executemany(sql, batch)
                batch.clear()
        if batch:
            with connection.cursor() as cursor:
                cursor.executemany(sql, batch)


def main() -> None:
    args = parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiedao.settings.dev")
    from bench_clock_sweep import ThrowawayDatabase

    with ThrowawayDatabase(args.keep) as where:
        import datetime as dt

        import django

        django.setup()
        from django.core.management import call_command
        from django.db import transaction
        from django.utils import timezone

        from jiedao.accounts.models import User
        from jiedao.timelimits import services as clocks
        from jiedao.workcalendar import services as workcalendar
        from jiedao.workcalendar.models import CalendarDay, CalendarYear

        print(f"database: {where}")
        call_command("migrate", verbosity=0)
        today = timezone.localdate(timezone=workcalendar.CHINA_TZ)
        year = today.year + 1
        if workcalendar.year_basis(year) == "package":
            sys.exit(f"{year} is in the holiday package: nothing provisional to recompute")
        CalendarYear.objects.update_or_create(year=year, defaults={"status": "provisional"})
        started = time.perf_counter()
        insert_clocks(args.rows, today)
        print(f"inserted {args.rows:,} clocks in {time.perf_counter() - started:.1f} s")

        # The notice, written straight to the override table (the service would start the task itself).
        D = dt.date
        rest = [D(year, 1, 1) + dt.timedelta(days=i) for i in range(3)]
        rest += [D(year, 2, 6) + dt.timedelta(days=i) for i in range(8)]
        rest += [D(year, 10, 1) + dt.timedelta(days=i) for i in range(7)]
        work = [d for d in (D(year, 2, 14), D(year, 2, 20), D(year, 10, 9)) if d.weekday() >= 5]
        with transaction.atomic():
            CalendarDay.objects.bulk_create(
                [CalendarDay(date=d, is_workday=False, reason="假") for d in rest]
                + [CalendarDay(date=d, is_workday=True, reason="班") for d in work]
            )
            CalendarYear.objects.filter(year=year).update(status="published")

        actor = User.objects.filter(is_superuser=True).first()
        started = time.perf_counter()
        result = clocks.clocks_recompute(actor=actor, first=D(year, 1, 1), last=D(year, 12, 31))
        total = time.perf_counter() - started
        batches = max(1, -(-result.examined // clocks.RECOMPUTE_BATCH))
        print(f"clocks_recompute: {total:.1f} s, examined {result.examined:,}, changed {result.changed:,}")
        print(
            f"  {result.examined / total:,.0f} clocks/s; {batches:,} batch transactions of {total / batches * 1000:.0f} ms on average"
        )
        again = time.perf_counter()
        second = clocks.clocks_recompute(actor=actor, first=D(year, 1, 1), last=D(year, 12, 31))
        print(
            f"second run (nothing to change): {time.perf_counter() - again:.1f} s, changed {second.changed}"
        )


if __name__ == "__main__":
    main()
