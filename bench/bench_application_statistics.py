"""办件统计 (`applications.statistics.service_statistics`) over two years of a district's applications.

    .venv/bin/python bench/bench_application_statistics.py                        # SQLite file in a temp dir
    .venv/bin/python bench/bench_application_statistics.py --database postgresql  # a fresh PostgreSQL database
    .venv/bin/python bench/bench_application_statistics.py --reuse DIR            # measure an earlier build again

Data: the demo district (`manage.py demo`: two sub-districts, six communities, the demo roles, the catalogue's
items and the two sub-districts' windows) and `--applications` applications (1,000,000) written set-wise
(`INSERT … SELECT` over a generated series, the same SQL on SQLite and PostgreSQL), submitted evenly over the
two years before 1 December 2026, in id order. Each resident's community is one of the six; 60% of the
applications of a community that has its own item (柳浪社区, 江城社区: 居住证明开具) are for that item, the rest
for the items of its sub-district, one in ten of them 即办件. Fates, as a hall sees them: 4% 不予受理 the day
after, 2% withdrawn, 5% 不予准予, the rest 准予; accepted within two days, concluded 1–20 days later (即办件 on
the spot); 15% asked to correct (一次性告知) after acceptance, their clocks paused two working days; 6% of the
concluded overdue (the clock's verdict and paused days copied onto the application, as concluding does);
those whose conclusion falls after 1 December still open (accepted, suspended or in correction, their clocks
green / yellow / red). Each application has its history events (submitted,
accepted, correction, concluded), a time-limit clock once accepted, and 55% of the concluded a rating a day
or so later (60% 非常满意, 25% 满意, 8% 基本满意, 5% 不满意, 2% 非常不满意). The planner's statistics are
gathered after the build.

Users: `quleader` (district leader: every org), `leader` (sub-district leader, half the district) and
`shequ` (community clerk of 柳浪社区: the applications of its own item, ~100,000 at 1,000,000).

Figures, per user and range (a month, a quarter, a year): `service_statistics` through `statistics_for`,
the median of `--repeat` runs after a warm-up — one run counts all four groups (item, org, window, month: the
API's `group` only chooses which table it returns); the queries it ran; and the floor, those same statements
replayed on a raw cursor (what the database alone costs), with the ratio ours / floor. Then the page
(/hall/staff/statistics/) through Django's test client in process, median of `--repeat` requests.
`--explain` prints each statement's query plan (EXPLAIN QUERY PLAN / EXPLAIN) for the year of the last user
(the clerk by default); `--users`, `--ranges`, `--no-page` and `--no-saves` narrow a run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import analyse, client_for, plain_static_files, replay, reuse_django, setup_django

DB = "jiedao_bench_statistics"
USERS = ("quleader", "leader", "shequ")
# the data ends here (Beijing time); it starts two years before
END = dt.datetime(2026, 12, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
SPAN = 730 * 86400
PERIODS = (
    ("month", "2026-10-01", "2026-10-31"),
    ("quarter", "2026-07-01", "2026-09-30"),
    ("year", "2025-01-01", "2025-12-31"),
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--applications", type=int, default=1_000_000, help="applications (1,000,000)")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--reuse",
        default="",
        help="an earlier build: its JIEDAO_VAR_DIR (SQLite) or database name (PostgreSQL)",
    )
    parser.add_argument("--name", default=DB, help=f"the PostgreSQL database to build ({DB})")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per figure; the median (3)")
    parser.add_argument("--users", default=",".join(USERS), help="comma-separated demo users")
    parser.add_argument("--build-only", action="store_true", help="build, print where, and stop")
    parser.add_argument("--ranges", default="month,quarter,year", help="which ranges to measure")
    parser.add_argument("--no-saves", action="store_true", help="skip the write-cost measurement")
    parser.add_argument("--no-page", action="store_true", help="skip the page over HTTP")
    parser.add_argument(
        "--explain", action="store_true", help="print the query plans of the last user's year"
    )
    return parser.parse_args()


# --- the build -------------------------------------------------------------------------------------------


def _series(total: int) -> str:
    from django.db import connection

    if connection.vendor == "postgresql":
        return f"SELECT i FROM generate_series(1::bigint, {total}) AS g(i)"
    return f"SELECT i FROM (WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {total}) SELECT i FROM s)"


def _at(seconds: str) -> str:
    """A moment `seconds` (an SQL integer expression, or NULL) after the data's first second."""
    from django.db import connection

    start = int(END.timestamp()) - SPAN
    if connection.vendor == "postgresql":
        return f"to_timestamp({start} + ({seconds}))"
    return f"datetime({start} + ({seconds}), 'unixepoch')"


def _defaults(model, given: dict) -> tuple[str, str, list]:
    """The column list, SELECT list and parameters of an INSERT … SELECT into `model`'s table: `given` maps a
    column to its SQL (or (SQL, parameters)); every other column gets its field's default, or NULL."""
    import json

    from django.db import connection

    postgresql = connection.vendor == "postgresql"
    columns, values, params = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(f'"{field.column}"')
        if field.column in given:
            sql = given[field.column]
            if isinstance(sql, tuple):
                sql, extra = sql
                params.extend(extra)
            values.append(sql)
            continue
        default = field.get_default() if field.has_default() or not field.null else None
        if default is None and field.null:
            values.append("NULL")
        elif isinstance(default, bool):
            values.append("TRUE" if default else "FALSE")
        elif isinstance(default, (list, dict)):
            values.append("CAST(%s AS jsonb)" if postgresql else "%s")
            params.append(json.dumps(default))
        elif isinstance(default, dt.timedelta):
            # Django keeps a duration as an interval on PostgreSQL, as microseconds on SQLite
            seconds = int(default.total_seconds())
            values.append(f"interval '{seconds} seconds'" if postgresql else str(seconds * 1_000_000))
        elif isinstance(default, int):
            values.append(str(default))
        else:
            values.append("%s")
            params.append("" if default is None else default)
    return ", ".join(columns), ", ".join(values), params


def _insert(cursor, sql: str, params: list) -> None:
    """Run an INSERT … SELECT with parameters: its modulo operators doubled, as both drivers then expect."""
    cursor.execute(re.sub(r"%(?!s)", "%%", sql), params)


def build(total: int) -> None:
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("demo", stdout=open(os.devnull, "w"))  # noqa: SIM115 - the demo's chatter
    print(f"demo loaded in {time.perf_counter() - started:.0f} s", flush=True)
    seed(total)
    analyse()
    print(f"built in {time.perf_counter() - started:.0f} s", flush=True)


def _slots() -> list[tuple[int, int, int, int, int, bool]]:
    """(community index, slot 0–99, item, org, window, instant): which item each hundredth of a community's
    applications is for."""
    from jiedao.applications.models import ServiceWindow
    from jiedao.catalog.choices import ItemKind
    from jiedao.catalog.models import ServiceItem
    from jiedao.orgs.models import OrgUnit

    communities = list(OrgUnit.objects.filter(level=3).order_by("pk"))
    items = list(ServiceItem.objects.order_by("pk").values_list("pk", "org_id", "kind"))
    windows = dict(ServiceWindow.objects.values_list("org_id", "pk"))
    rows = []
    for index, community in enumerate(communities):
        parent = community.parent_id
        own = [item for item in items if item[1] == community.pk]
        theirs = [item for item in items if item[1] == parent]
        for slot in range(100):
            item = own[slot % len(own)] if own and slot < 60 else theirs[slot % len(theirs)]
            window = windows.get(item[1]) or windows.get(parent)
            rows.append((index, slot, item[0], item[1], window, item[2] == ItemKind.INSTANT))
    return rows


def seed(total: int) -> None:
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction

    from jiedao.accounts.models import User
    from jiedao.applications.models import Application, ApplicationEvent, Rating
    from jiedao.core import crypto
    from jiedao.orgs.models import OrgUnit
    from jiedao.timelimits.models import Clock

    started = time.perf_counter()
    slots = _slots()
    communities = list(OrgUnit.objects.filter(level=3).order_by("pk").values_list("pk", flat=True))
    clerk = User.objects.get(username="window").pk
    content_type = ContentType.objects.get_for_model(Application).pk
    now = SPAN  # END, as an offset from the data's start
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_slot")
        cursor.execute(
            "CREATE TABLE bench_slot (community integer, slot integer, item integer, org integer, "
            "win integer, instant integer, community_id integer)"
        )
        cursor.executemany(
            "INSERT INTO bench_slot VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [(c, s, i, o, w, int(k), communities[c]) for c, s, i, o, w, k in slots],
        )
        # One row per application: its offsets in seconds from the data's start, NULL for what did not
        # happen (yet). r1…r5 are independent-looking hashes of i in [0, 100).
        cursor.execute("DROP TABLE IF EXISTS bench_seed")
        cursor.execute(
            f"""
            CREATE TABLE bench_seed AS
            SELECT i, community, item, org, win, instant, community_id, sub, fate, corrected, overdue, rated,
                   colour, acc, con,
                   CASE WHEN fate = 'rejected' OR fate = 'withdrawn' THEN sub + 86400 + r5 * 600 END AS ended
            FROM (
                SELECT i, community, item, org, win, instant, community_id, sub, fate, corrected, overdue,
                       rated, colour, r5,
                       CASE WHEN fate IN ('rejected', 'withdrawn') THEN NULL
                            WHEN instant = 1 THEN sub
                            ELSE sub + r3 * 1800 END AS acc,
                       CASE WHEN fate IN ('rejected', 'withdrawn') THEN NULL
                            WHEN instant = 1 THEN sub + 600
                            ELSE sub + r3 * 1800 + (1 + r4 % 20) * 86400 + corrected * 3 * 86400 END AS con
                FROM (
                    SELECT s.i, b.community, b.item, b.org, b.win, b.instant, b.community_id,
                           ({SPAN} * (s.i - 1)) / {total} + 8 * 3600 AS sub,
                           CASE WHEN (s.i * 2654435761) % 97 < 4 THEN 'rejected'
                                WHEN (s.i * 2654435761) % 97 < 6 THEN 'withdrawn'
                                WHEN (s.i * 2654435761) % 97 < 11 THEN 'concluded_denied'
                                ELSE 'concluded_approved' END AS fate,
                           CASE WHEN b.instant = 0 AND (s.i * 40503) % 101 < 15 THEN 1 ELSE 0 END AS corrected,
                           CASE WHEN (s.i * 2246822519) % 103 < 6 THEN 1 ELSE 0 END AS overdue,
                           CASE WHEN (s.i * 3266489917) % 107 < 59 THEN 1 ELSE 0 END AS rated,
                           (s.i * 668265263) % 109 AS colour,
                           (s.i * 374761393) % 96 AS r3,
                           (s.i * 2654435769) % 113 AS r4,
                           (s.i * 1103515245) % 100 AS r5
                    FROM ({_series(total)}) AS s
                    JOIN bench_slot b ON b.community = s.i % 6 AND b.slot = ((s.i * 2654435761) % 1000003) % 100
                ) AS x
            ) AS y
            """
        )
        print(f"  seed rows in {time.perf_counter() - started:.0f} s", flush=True)
        # what is known at END: an event after it has not happened
        status = f"""
            CASE WHEN fate IN ('rejected', 'withdrawn') AND ended <= {now} THEN fate
                 WHEN fate IN ('rejected', 'withdrawn') THEN 'submitted'
                 WHEN con <= {now} THEN fate
                 WHEN acc > {now} THEN 'submitted'
                 WHEN corrected = 1 THEN 'correction_requested'
                 WHEN colour < 5 THEN 'suspended'
                 ELSE 'accepted' END"""
        columns, values, params = _defaults(
            Application,
            {
                "org_id": "org",
                "created_by_id": f"CASE WHEN i % 3 = 0 THEN NULL ELSE {clerk} END",
                "created_at": _at("sub"),
                "updated_at": _at("sub"),
                "item_id": "item",
                "applicant_name": "'张' || CAST(i % 997 AS TEXT)",
                "applicant_phone": ("%s", [crypto.encrypt("13957100001")]),
                "applicant_phone_hash": "'h' || CAST(i AS TEXT)",
                "applicant_phone_masked": "'139****0001'",
                "channel": "CASE WHEN i % 3 = 0 THEN 'online' ELSE 'window' END",
                "window_id": "win",
                "community_id": "community_id",
                "tracking_code": "'S' || CAST(i AS TEXT)",
                "status": status,
                "submitted_at": _at("sub"),
                "received_at": _at("sub"),
                "accepted_at": f"CASE WHEN acc <= {now} THEN {_at('acc')} END",
                "due_at": f"CASE WHEN acc <= {now} THEN {_at('acc + 15 * 86400')} END",
                "concluded_at": f"CASE WHEN ended <= {now} THEN {_at('ended')} "
                f"WHEN con <= {now} THEN {_at('con')} END",
                "concluded_by_id": f"CASE WHEN con <= {now} OR ended <= {now} THEN {clerk} END",
                "outcome": f"CASE WHEN con <= {now} AND fate = 'concluded_denied' THEN 'denied' "
                f"WHEN con <= {now} THEN 'approved' ELSE '' END",
                # what the clock inserted below says at its stop, as `services._conclude` copies it
                "concluded_overdue": f"CASE WHEN con <= {now} THEN overdue = 1 END",
                "concluded_paused_days": f"CASE WHEN con <= {now} THEN 2 * corrected END",
            },
        )
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM applications_application")
        base = cursor.fetchone()[0]
        _insert(
            cursor,
            f"INSERT INTO applications_application ({columns}) SELECT {values} FROM bench_seed ORDER BY i",
            params,
        )
        # ids follow the series (one INSERT, in order): application id = base + i
        cursor.execute(
            "SELECT COUNT(*) FROM applications_application WHERE id IN (%s, %s) AND tracking_code IN (%s, %s)",
            [base + 1, base + total, "S1", f"S{total}"],
        )
        assert cursor.fetchone()[0] == 2, "application ids do not follow the series"
        print(f"  applications in {time.perf_counter() - started:.0f} s", flush=True)
        joined = f"FROM bench_seed s JOIN applications_application a ON a.id = s.i + {base} WHERE 1 = 1"
        for action, at, where in (
            ("submitted", "s.sub", "1 = 1"),
            ("accepted", "s.acc", f"s.acc <= {now}"),
            ("correction_requested", "s.acc + 3600", f"s.corrected = 1 AND s.acc + 3600 <= {now}"),
            ("rejected", "s.ended", f"s.fate = 'rejected' AND s.ended <= {now}"),
            ("withdrawn", "s.ended", f"s.fate = 'withdrawn' AND s.ended <= {now}"),
            ("concluded", "s.con", f"s.con <= {now}"),
        ):
            columns, values, params = _defaults(
                ApplicationEvent,
                {
                    "application_id": "a.id",
                    "action": f"'{action}'",
                    "actor_id": f"{clerk}",
                    "at": _at(at),
                },
            )
            _insert(
                cursor,
                f"INSERT INTO applications_applicationevent ({columns}) SELECT {values} {joined} AND {where}",
                params,
            )
        print(f"  events in {time.perf_counter() - started:.0f} s", flush=True)
        columns, values, params = _defaults(
            Clock,
            {
                "org_id": "a.org_id",
                "created_at": "a.accepted_at",
                "updated_at": "a.accepted_at",
                "content_type_id": str(content_type),
                "object_id": "CAST(a.id AS TEXT)",
                "kind": "'applications.application'",
                "rule": "'working_days'",
                "limit": "15",
                "yellow_ratio": "0.80",
                "started_at": "a.accepted_at",
                "due_at": "a.due_at",
                "yellow_at": "a.due_at",
                "paused_at": "CASE WHEN a.status = 'suspended' THEN a.accepted_at END",
                "stopped_at": "a.concluded_at",
                "paused_days": "2 * s.corrected",
                "overdue_at_stop": "CASE WHEN a.concluded_at IS NOT NULL AND s.overdue = 1 THEN TRUE ELSE FALSE END",
                "status": "CASE WHEN a.concluded_at IS NOT NULL THEN 'stopped' "
                "WHEN a.status = 'suspended' THEN 'paused' "
                "WHEN s.colour % 5 = 0 THEN 'red' WHEN s.colour % 5 = 1 THEN 'yellow' ELSE 'green' END",
            },
        )
        _insert(
            cursor,
            f"INSERT INTO timelimits_clock ({columns}) SELECT {values} {joined} AND a.accepted_at IS NOT NULL",
            params,
        )
        print(f"  clocks in {time.perf_counter() - started:.0f} s", flush=True)
        columns, values, params = _defaults(
            Rating,
            {
                "application_id": "a.id",
                "level": "CASE WHEN s.i % 100 < 60 THEN 5 WHEN s.i % 100 < 85 THEN 4 "
                "WHEN s.i % 100 < 93 THEN 3 WHEN s.i % 100 < 98 THEN 2 ELSE 1 END",
                "channel": "'sms'",
                "staff_id": str(clerk),
                "created_at": _at("s.con + 20000 + s.colour * 1000"),
            },
        )
        _insert(
            cursor,
            f"INSERT INTO applications_rating ({columns}) SELECT {values} {joined} "
            f"AND s.rated = 1 AND a.status IN ('concluded_approved', 'concluded_denied') "
            f"AND s.con + 20000 + s.colour * 1000 <= {now}",
            params,
        )
        print(f"  ratings in {time.perf_counter() - started:.0f} s", flush=True)
        cursor.execute("DROP TABLE bench_seed")
        cursor.execute("DROP TABLE bench_slot")
        if connection.vendor == "postgresql":
            for table in (
                "applications_application",
                "applications_applicationevent",
                "timelimits_clock",
                "applications_rating",
            ):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                )


# --- the measurement -------------------------------------------------------------------------------------


def _user(username: str):
    from jiedao.accounts.models import User

    return User.objects.get(username=username)


def measure(username: str, start: str, end: str, repeat: int) -> dict:
    """`statistics_for` as the page calls it (a fresh user object each run: the scope is read per request),
    the median of `repeat` runs after a warm-up, and its statements replayed on a raw cursor."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from jiedao.applications.statistics import statistics_for

    params = {"start": start, "end": end}
    statistics_for(_user(username), params)  # warm-up: caches, the calendar, the database's pages
    timings = []
    for index in range(repeat):
        user = _user(username)
        with CaptureQueriesContext(connection) as context:
            started = time.perf_counter()
            result = statistics_for(user, params)
            timings.append(time.perf_counter() - started)
        if index == 0:
            captured = [query["sql"] for query in context.captured_queries]
    selects = [sql for sql in captured if sql.lstrip().upper().startswith(("SELECT", "WITH", "("))]
    replay(selects)  # the same warm-up for the floor
    floor = statistics.median(replay(selects) for _ in range(repeat))
    return {
        "ms": statistics.median(timings) * 1000,
        "queries": len(captured),
        "floor_ms": floor * 1000,
        "received": result.total["received"],
        "concluded": result.total["concluded"],
        "selects": selects,
    }


def measure_page(client, start: str, end: str, repeat: int) -> float:
    url = f"/hall/staff/statistics/?start={start}&end={end}"
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1000


def measure_saves(repeat: int = 300) -> float:
    """The write cost the indexes add: an application saved (`save()`, every column) as conclusion and reopening
    change its status and dates, one transaction each; the median in ms. Restored afterwards."""
    from django.db import transaction
    from django.utils import timezone

    from jiedao.applications.models import Application

    application = Application.objects.filter(status="accepted").order_by("-pk").first()
    status, concluded_at = application.status, application.concluded_at
    timings = []
    for index in range(repeat):
        application.status = "concluded_approved" if index % 2 == 0 else "accepted"
        application.concluded_at = timezone.now() if index % 2 == 0 else None
        started = time.perf_counter()
        with transaction.atomic():
            application.save()
        timings.append(time.perf_counter() - started)
    application.status, application.concluded_at = status, concluded_at
    application.save()
    return statistics.median(timings) * 1000


def explain(selects: list[str]) -> None:
    from django.db import connection

    prefix = "EXPLAIN " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
    with connection.cursor() as cursor:
        for sql in selects:
            print("\n" + sql[:400] + (" …" if len(sql) > 400 else ""))
            cursor.execute(prefix + sql)
            for row in cursor.fetchall():
                print("   ", row[-1] if connection.vendor == "sqlite" else row[0])


def main() -> None:
    args = parse_args()
    if args.reuse:
        reuse_django("postgresql" if os.environ.get("DATABASE_URL") else args.database, args.reuse)
        analyse()  # the planner's statistics for the indexes the migration may have added
    else:
        env = setup_django(args.database, name=args.name)
        plain_static_files()  # before the demo, which renders pages
        build(args.applications)
        where = env["JIEDAO_VAR_DIR"] if args.database == "sqlite" else args.name
        print(
            f"to measure this build again: --reuse {where}"
            + (" --database postgresql" if args.database == "postgresql" else "")
        )
        if args.build_only:
            return
    plain_static_files()
    from django.db import connection

    from jiedao.applications.models import Application

    users = args.users.split(",")
    print(
        f"\n{connection.vendor}, {Application.objects.count():,} applications; median of {args.repeat} runs "
        "after a warm-up"
    )
    print(
        f"{'user':<9} {'range':<8} {'ours':>9} {'floor':>9} {'ratio':>6} {'queries':>7} {'page':>9} "
        f"{'收件量':>8} {'办结量':>8}"
    )
    clients = {} if args.no_page else {name: client_for(name) for name in users}
    for username in users:
        for label, start, end in PERIODS:
            if label not in args.ranges.split(","):
                continue
            row = measure(username, start, end, args.repeat)
            page = (
                "" if args.no_page else f"{measure_page(clients[username], start, end, args.repeat):7.0f}ms"
            )
            print(
                f"{username:<9} {label:<8} {row['ms']:7.0f}ms {row['floor_ms']:7.0f}ms "
                f"{row['ms'] / max(row['floor_ms'], 0.01):5.2f}× {row['queries']:7d} {page:>9} "
                f"{row['received']:>11,} {row['concluded']:>11,}",
                flush=True,
            )
            if args.explain and username == users[-1] and label == "year":
                explain(row["selects"])
    if not args.no_saves:
        saved = measure_saves()
        print(f"\nan application saved (conclude / reopen, one transaction each): {saved:.2f} ms (median)")


if __name__ == "__main__":
    main()
