"""Registry pages with N persons (default 1,000,000): what a district-level user and a community clerk open.

    .venv/bin/python bench/bench_registry_pages.py                        # SQLite file in a temp dir
    .venv/bin/python bench/bench_registry_pages.py --database postgresql  # a fresh PostgreSQL database
    .venv/bin/python bench/bench_registry_pages.py --reuse DIR            # a district built by an earlier run

Data: the demo district (`jiedao.registry.demo`, two sub-districts, six communities of three grids) filled with
`--persons` residents in households, with their houses and buildings, 15% migrants with residence permits,
special-group tags, life events and enterprises (`bench_registry_search.py` writes bare persons only; these
pages show households, houses, migrants and tags, so the demo's generator is used), plus what a district
acquires that the demo lacks: one collective household of 1,000 members and 3,000 households whose 7,500
members were imported without a household number. The build takes ~12 minutes for 1,000,000 persons on
SQLite; it prints the directory to `--reuse` next time (SQLite). The planner's statistics are gathered after
the build, as the import job does after an import.

Users: `quleader` (district leader: every org of the district) and `shequ` (community clerk of 柳浪社区, one
sixth of the district, may register and change records).

Figures, per page and user: the median of `--repeat` requests through Django's test client in process (the
full middleware stack, the template rendered) after one warm-up request; the queries the request ran; and the
floor, those same SQL statements replayed on a raw database cursor (what the database alone costs). The
statistics pages are measured twice: counted live (no snapshot yet), then read from a snapshot of per-org
counts (`jiedao.registry.statistics.snapshots`), with the time one refresh of that snapshot takes. The
export runs in a child process for its peak memory: a 10k-row and a 100k-row filtered person list.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT, analyse, client_for, plain_static_files, replay, reuse_django, setup_django, timed

BIG_HOUSEHOLD = "330110001001999999"
BIG_MEMBERS = 1000
LOOSE_HOUSEHOLDS = 3000


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--persons", type=int, default=1_000_000, help="residents (1,000,000)")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--reuse",
        default="",
        help="a district built by an earlier run: its JIEDAO_VAR_DIR (SQLite) or database name (PostgreSQL)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="timed requests per page; the median (3)")
    parser.add_argument(
        "--only",
        default="",
        help="measure only the pages whose label contains one of these texts, comma-separated (e.g. 数据质量核查,人户分离), nothing else",
    )
    parser.add_argument("--export-child", nargs=2, metavar=("USER", "URL"), help=argparse.SUPPRESS)
    return parser.parse_args()


def build(persons: int) -> None:
    from django.db import connection, transaction

    from jiedao.core import demo as core_demo
    from jiedao.orgs.models import OrgUnit
    from jiedao.registry import demo
    from jiedao.registry.services.residence import refresh_residence_split

    started = time.perf_counter()
    core_demo.load()
    demo.load(sys.stdout, persons_per_community=persons // 6)
    print()
    grid_1, grid_2 = (
        OrgUnit.objects.get(division_code=code).pk for code in ("330110001001001", "330110001001002")
    )
    with transaction.atomic(), connection.cursor() as cursor:
        # a collective household (集体户) of 1,000 members of one grid
        cursor.execute(
            "INSERT INTO registry_household (org_id, created_at, updated_at, number, kind, registered_address)"
            " VALUES (%s, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, %s, '2', '幸福路1号集体户')",
            [grid_1, BIG_HOUSEHOLD],
        )
        cursor.execute("SELECT id FROM registry_household WHERE number = %s", [BIG_HOUSEHOLD])
        big = cursor.fetchone()[0]
        cursor.execute(
            "SELECT m.id, m.person_id FROM registry_householdmember m JOIN registry_person p ON p.id = m.person_id"
            " WHERE p.org_id = %s AND p.status = 'living' AND m.relation <> '02' ORDER BY m.id LIMIT %s",
            [grid_1, BIG_MEMBERS],
        )
        moved = cursor.fetchall()
        cursor.execute(
            "UPDATE registry_householdmember SET household_id = %s, relation = '99' WHERE id IN "
            f"({', '.join(str(row[0]) for row in moved)})",
            [big],
        )
        cursor.execute("UPDATE registry_householdmember SET relation = '02' WHERE id = %s", [moved[0][0]])
        cursor.execute("UPDATE registry_household SET head_id = %s WHERE id = %s", [moved[0][1], big])
        # residents imported without a household number: 3,000 households of another grid lose their members
        cursor.execute(
            "SELECT id FROM registry_household WHERE org_id = %s ORDER BY id LIMIT %s",
            [grid_2, LOOSE_HOUSEHOLDS],
        )
        loose = ", ".join(str(row[0]) for row in cursor.fetchall())
        cursor.execute(f"UPDATE registry_household SET head_id = NULL WHERE id IN ({loose})")
        loose_members = f"SELECT person_id FROM registry_householdmember WHERE household_id IN ({loose})"
        cursor.execute(loose_members)
        unregistered = [row[0] for row in cursor.fetchall()]
        cursor.execute(f"DELETE FROM registry_householdmember WHERE household_id IN ({loose})")
        # what an import does after its batches: the stored 人户分离 of the persons these statements moved
        refresh_residence_split([person_id for _member, person_id in moved] + unregistered)
    analyse()
    print(f"built in {time.perf_counter() - started:.0f} s")


def samples() -> dict[str, int]:
    from jiedao.orgs.models import OrgUnit
    from jiedao.registry.models import Household, HouseholdMember, Person

    big = Household.objects.get(number=BIG_HOUSEHOLD)
    members = HouseholdMember.objects.filter(household=big).exclude(person_id=big.head_id)
    return {
        "big": big.pk,
        "member": members.order_by("pk").first().person_id,
        "community": OrgUnit.objects.get(division_code="330110001001").pk,  # 柳浪社区, the clerk's
        "count": Person.objects.count(),
    }


def pages(ids: dict[str, int]) -> list[tuple[str, str, str]]:
    """(label, url, who): who is `both`, or one user for pages only one of them may open."""
    last_offset = ids["count"] - 50
    return [
        ("人口 第1页", "/registry/persons/", "both"),
        ("人口 第500页", "/registry/persons/?page=500", "both"),
        ("人口 末页", "/registry/persons/?page=last", "both"),
        ("人口 特殊人群（低保）", "/registry/persons/?tags=dibao", "both"),
        ("人口 年龄 60–70", "/registry/persons/?age_min=60&age_max=70", "both"),
        ("人口 全部状态", "/registry/persons/?status=all", "both"),
        ("人口 一个社区", f"/registry/persons/?org={ids['community']}", "both"),
        ("人口 一个社区 末页", f"/registry/persons/?org={ids['community']}&page=last", "both"),
        ("人口 流动人口", "/registry/persons/?migrant=yes", "both"),
        ("户籍 第1页", "/registry/households/", "both"),
        ("户籍 末页", "/registry/households/?page=last", "both"),
        ("房屋 第1页", "/registry/houses/", "both"),
        ("楼栋", "/registry/buildings/", "both"),
        ("企业", "/registry/enterprises/", "both"),
        ("流动人口", "/registry/migrants/", "both"),
        ("居住证 30 天内到期", "/registry/migrants/?permit=expiring", "both"),
        ("人员详情（1,000 人的集体户）", f"/registry/persons/{ids['member']}/", "both"),
        ("户详情（1,000 人）", f"/registry/households/{ids['big']}/", "both"),
        ("立户", "/registry/households/new/", "shequ"),
        ("统计", "/registry/stats/", "both"),
        ("统计 一个社区", f"/registry/stats/?org={ids['community']}", "both"),
        ("工作台首页（人口、居住证面板）", "/workbench/", "both"),
        ("数据质量核查（八项计数）", "/registry/quality/", "both"),
        ("数据质量核查 老人未登记联系电话", "/registry/quality/elderly-without-phone/", "both"),
        ("数据质量核查 未关联房屋", "/registry/quality/without-house/", "both"),
        ("数据质量核查 疑似群租房", "/registry/quality/crowded-houses/", "both"),
        ("特殊人群到期复核", "/registry/tags/due-for-review/", "both"),
        ("API tag-reviews", "/api/v1/tag-reviews/", "both"),
        ("人口 人户分离 户在人不在", "/registry/persons/?residence_split=away", "both"),
        ("人口 人户分离 人在户不在", "/registry/persons/?residence_split=elsewhere", "both"),
        ("API persons", "/api/v1/persons/", "both"),
        ("API persons 末页 offset", f"/api/v1/persons/?offset={last_offset}", "quleader"),
        ("API households", "/api/v1/households/", "both"),
        ("API houses", "/api/v1/houses/", "both"),
        ("API buildings", "/api/v1/buildings/", "both"),
        ("API enterprises", "/api/v1/enterprises/", "both"),
        ("API migrants", "/api/v1/migrants/", "both"),
        ("组织机构（系统管理员）", "/orgs/", "sysadmin"),
    ]


def measure(client, url: str, repeat: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(url)  # warm-up: per-process caches (dictionaries, menus, scope)
    if response.status_code == 404:  # page 500 of a small district
        return None
    assert response.status_code == 200, (url, response.status_code)
    timings = []
    for index in range(repeat):
        with CaptureQueriesContext(connection) as context:
            started = time.perf_counter()
            response = client.get(url)
            timings.append(time.perf_counter() - started)
        if index == 0:
            captured = [query["sql"] for query in context.captured_queries]
    selects = [sql for sql in captured if sql.lstrip().upper().startswith(("SELECT", "WITH", "("))]
    floor = statistics.median(replay(selects) for _ in range(repeat))
    return {
        "ms": statistics.median(timings) * 1000,
        "queries": len(captured),
        "floor_ms": floor * 1000,
        "kb": len(response.content) / 1024,
    }


def peak_mb() -> float:
    """This process's peak RSS (VmHWM: unlike ru_maxrss, not inherited from the parent that started it)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def export_child(username: str, url: str) -> None:
    """Run in a fresh process: one export, its time and the process's peak memory before and after."""
    plain_static_files()
    client = client_for(username)
    client.get("/registry/persons/export/?age_max=0")  # load what an export loads (a few thousand rows)
    before = peak_mb()
    started = time.perf_counter()
    response = client.get(url)
    size = sum(len(chunk) for chunk in response.streaming_content)
    elapsed = time.perf_counter() - started
    from jiedao.audit.models import AuditEvent

    rows = AuditEvent.objects.order_by("-pk").values_list("after", flat=True).first()["rows"]
    peak = peak_mb()
    print(json.dumps({"s": elapsed, "rows": rows, "mb": size / 1e6, "before": before, "peak": peak}))


def exports(env: dict[str, str], ids: dict[str, int]) -> list[tuple[str, dict]]:
    from django.utils import timezone

    from jiedao.orgs.models import OrgUnit
    from jiedao.registry.models import Person

    # about 10k and 100k rows: 柳浪社区's persons of all states up to the age that leaves that many
    community = Person.objects.filter(org__path__startswith=OrgUnit.objects.get(pk=ids["community"]).path)
    births = community.order_by("-birth_date").values_list("birth_date", flat=True)
    today = timezone.localdate()
    results = []
    for wanted in (10_000, 100_000):
        born = births[min(wanted, community.count() - 1)]
        age_max = today.year - born.year - ((today.month, today.day) < (born.month, born.day)) - 1
        url = f"/registry/persons/export/?org={ids['community']}&status=all&age_max={age_max}"
        output = subprocess.run(
            [sys.executable, __file__, "--export-child", "quleader", url],
            env={**os.environ, **env},
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        results.append((url, json.loads(output.strip().splitlines()[-1])))
    return results


def drop_statistics_snapshots() -> None:
    """Without a snapshot the statistics pages count live (a kept district may hold one of an earlier run)."""
    from jiedao.registry.models import StatisticsSnapshot

    StatisticsSnapshot.objects.all().delete()


def refresh_statistics():
    from jiedao.registry.statistics import snapshots

    return snapshots.refresh()


def reminders() -> tuple[float, int]:
    from jiedao.registry.models import Migrant
    from jiedao.registry.reminders import send_permit_reminders

    Migrant.objects.update(permit_reminded_on=None)
    started = time.perf_counter()
    marked = send_permit_reminders()
    return time.perf_counter() - started, marked


def print_pages(clients: dict, rows: list[tuple[str, str, str]], repeat: int) -> None:
    for label, url, who in rows:
        for user in ("quleader", "shequ") if who == "both" else (who,):
            row = measure(clients[user], url, repeat)
            if row is None:
                print(f"{user:<9} {'—':>9} {'':>8} {'':>10} {'':>7} {'':>8}  {label} (no such page)")
                continue
            ratio = row["ms"] / max(row["floor_ms"], 0.01)
            print(
                f"{user:<9} {row['ms']:7.0f}ms {row['queries']:8d} {row['floor_ms']:8.1f}ms {ratio:6.1f}× "
                f"{row['kb']:6.0f}kB  {label}",
                flush=True,
            )


def main() -> None:
    args = parse_args()
    if args.export_child:
        import django

        django.setup()
        export_child(*args.export_child)
        return
    if args.reuse:
        env = reuse_django(args.database, args.reuse)
    else:
        env = setup_django(args.database, name="jiedao_bench_pages")
        build(args.persons)
        where = env["JIEDAO_VAR_DIR"] if args.database == "sqlite" else "jiedao_bench_pages"
        print(f"to measure this district again: --reuse {where}")
    plain_static_files()
    ids = samples()
    clients = {name: client_for(name) for name in ("quleader", "shequ", "sysadmin")}
    print(f"\n{args.database}, {ids['count']:,} persons; median of {args.repeat} requests after a warm-up")
    print(f"{'user':<9} {'time':>9} {'queries':>8} {'SQL floor':>10} {'ratio':>7} {'size':>8}  page")
    if args.only:
        wanted = [text for text in args.only.split(",") if text]
        chosen = [page for page in pages(ids) if any(text in page[0] for text in wanted)]
        print_pages(clients, chosen, args.repeat)
        return
    live = [(f"{label}（无快照，实时计算）", url, who) for label, url, who in pages(ids) if "/stats/" in url]
    drop_statistics_snapshots()
    print_pages(clients, live, args.repeat)
    seconds, snapshot = timed(refresh_statistics)
    print(
        f"{'':<9} {seconds * 1000:7.0f}ms  统计快照刷新 (snapshots.refresh, {snapshot.counts.count():,} rows)"
    )
    print_pages(clients, pages(ids), args.repeat)
    seconds, marked = reminders()
    print(f"\n居住证到期提醒 (send_permit_reminders): {marked:,} migrants marked in {seconds:.2f} s")
    print("\nexport of a filtered person list (district leader, masked), in a fresh process:")
    for url, result in exports(env, ids):
        print(
            f"  {result['rows']:>7,} rows  {result['s']:6.1f} s  {result['mb']:5.1f} MB  "
            f"peak RSS {result['peak']:.0f} MB (+{result['peak'] - result['before']:.0f} MB over the "
            f"process before the export)  {url}"
        )


if __name__ == "__main__":
    main()
