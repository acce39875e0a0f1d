"""Staff pages of the online service hall after three years of a district's use (issue #5).

    .venv/bin/python bench/bench_hall_pages.py                      # builds jiedao_bench_hall (PostgreSQL)
    .venv/bin/python bench/bench_hall_pages.py --reuse               # measure the database an earlier run built
    .venv/bin/python bench/bench_hall_pages.py --drop                # drop it

Data: the demo district (`manage.py demo`: two sub-districts, six communities, the demo roles, the catalog's
items) and, written with set-based SQL as `bench_registry_pages.py` does, `--applications` applications
(300,000) spread over three years and every item: all but 5,000 closed (concluded, refused, withdrawn), the
open ones in every open status with their clocks green / yellow / red / paused; six history events each;
a clock for each accepted one (stopped for the concluded); a rating on half the concluded ones (a
rectification for each bad one); a public notice for 3,000 approved ones of the items that publish results
(all but the last 100 archived); and one open application with a 400-event history and extension requests.
The planner's statistics are gathered after the build (autovacuum does it in production).

Users, the demo roles: `window` (window clerk of 清波街道), `shequ` (community clerk of 柳浪社区), `leader`
(sub-district leader), `supervisor` (纪工委 / 效能办 of 清波街道), `quleader` (district leader).

Figures, per page and user: p50 and p95 of `--repeat` requests through Django's test client in process (the
full middleware stack, the template rendered) after one warm-up request; the queries the request ran; and the
floor, those same SELECTs replayed on a raw cursor (what the database alone costs). The applications list
has no CSV/Excel export; the API list (`/api/v1/applications/`) is what a program reads it through.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import client_for, percentile, plain_static_files, replay, setup_django

DB = "jiedao_bench_hall"
OPEN_APPLICATIONS = 5_000
NOTICES = 3_000
LONG_HISTORY = 400
USERS = ("window", "shequ", "leader", "supervisor", "quleader")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--applications", type=int, default=300_000, help="applications (300,000)")
    parser.add_argument("--repeat", type=int, default=20, help="timed requests per page and user (20)")
    parser.add_argument("--reuse", action="store_true", help=f"measure the {DB} an earlier run built")
    parser.add_argument("--drop", action="store_true", help=f"drop {DB} and exit")
    parser.add_argument("--users", default=",".join(USERS), help="comma-separated demo users")
    parser.add_argument("--only", default="", help="measure only pages whose label contains this")
    return parser.parse_args()


def use_existing() -> None:
    import os
    import tempfile

    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "jiedao.settings.dev",
            "JIEDAO_DEBUG": "0",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB}",
            "JIEDAO_VAR_DIR": tempfile.mkdtemp(prefix="jiedao-bench-"),
        }
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)  # this checkout's migrations (indexes) on the kept data


def build(total: int) -> None:
    """The demo, then three years of applications written set-wise (a few minutes for 300,000)."""
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("demo", stdout=open("/dev/null", "w"))  # noqa: SIM115 - the demo's chatter
    print(f"demo loaded in {time.perf_counter() - started:.0f} s", flush=True)
    seed(total, started)


def seed(total: int, started: float) -> None:
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction

    from jiedao.accounts.models import User
    from jiedao.applications.models import Application, ServiceWindow
    from jiedao.catalog.models import ServiceItem
    from jiedao.core import crypto
    from jiedao.orgs.models import OrgUnit

    items = list(ServiceItem.objects.order_by("pk").values_list("pk", "org_id", "publishes_result"))
    staff = {u.username: u.pk for u in User.objects.all()}
    windows = {w.org_id: w.pk for w in ServiceWindow.objects.all()}
    subdistrict_of = {}
    for node in OrgUnit.objects.all():
        parts = [int(part) for part in node.path.split(".") if part]
        subdistrict_of[node.pk] = parts[1] if len(parts) > 1 else node.pk
    communities = list(OrgUnit.objects.filter(level=3).order_by("pk").values_list("pk", flat=True))
    phone = crypto.encrypt("13957100001")
    content_type = ContentType.objects.get_for_model(Application).pk
    item_ids = "ARRAY[" + ",".join(str(i[0]) for i in items) + "]"
    item_orgs = "ARRAY[" + ",".join(str(i[1]) for i in items) + "]"
    item_windows = "ARRAY[" + ",".join(str(windows.get(subdistrict_of.get(i[1]), 0)) for i in items) + "]"
    community_ids = "ARRAY[" + ",".join(str(c) for c in communities) + "]"
    clerks = f"ARRAY[{staff['window']},{staff['window2']},{staff['leader']},{staff['leader2']}]"
    n_items = len(items)
    n_comm = len(communities)
    seconds = 3 * 365 * 86400 // total
    closed = total - OPEN_APPLICATIONS
    with transaction.atomic(), connection.cursor() as cursor:
        # status: the last OPEN_APPLICATIONS open (submitted, correction, accepted, suspended); the rest closed
        cursor.execute(
            f"""
            INSERT INTO applications_application (
                org_id, created_by_id, created_at, updated_at, item_id, applicant_name, applicant_id_number,
                applicant_id_hash, applicant_id_masked, applicant_phone, applicant_phone_hash,
                applicant_phone_masked, enterprise_name, enterprise_uscc, channel, window_id, community_id,
                tracking_code, status, submitted_at, received_at, accepted_at, deemed_accepted, due_at,
                concluded_at, concluded_by_id, outcome, outcome_text, outcome_document, correction_items, status_note)
            SELECT
                ({item_orgs})[1 + i % {n_items}],
                CASE WHEN i % 3 = 0 THEN NULL ELSE ({clerks})[1 + i % 4] END,
                t, t, ({item_ids})[1 + i % {n_items}],
                (ARRAY['王','李','张','刘','陈','杨','黄','赵','吴','周','徐','孙','马','朱','胡','郭','何','高',
                       '林','罗'])[1 + i % 20]
                  || (ARRAY['伟','芳','娜','敏','静','丽','强','磊','军','洋','勇','艳','杰','娟','涛','明','超',
                       '秀英','桂英','建华','志强','海燕','晓梅','国强','文斌'])[1 + (i / 20) % 25]
                  || (ARRAY['','','一','二','华','平','东','红'])[1 + (i / 500) % 8],
                '', '', '', '{phone}', md5(i::text) || md5(i::text), '139****0001',
                CASE WHEN i % 10 = 0 THEN '明湖' || (i % 997) || '号商贸有限公司' ELSE '' END, '',
                CASE WHEN i % 3 = 0 THEN 'online' ELSE 'window' END,
                NULLIF(({item_windows})[1 + i % {n_items}], 0),
                ({community_ids})[1 + i % {n_comm}],
                'H' || lpad(i::text, 10, '0'),
                CASE
                    WHEN i <= {closed} THEN (ARRAY['concluded_approved','concluded_approved','concluded_approved',
                        'concluded_approved','concluded_approved','concluded_approved','concluded_denied',
                        'rejected','withdrawn','concluded_approved'])[1 + i % 10]
                    ELSE (ARRAY['submitted','correction_requested','accepted','accepted','accepted','accepted',
                        'accepted','accepted','suspended','accepted'])[1 + i % 10]
                END,
                t, t,
                CASE WHEN i <= {closed} AND i % 10 IN (7, 8) THEN NULL
                     WHEN i > {closed} AND i % 10 IN (0, 1) THEN NULL
                     ELSE t + interval '1 day' END,
                false,
                CASE WHEN i <= {closed} AND i % 10 IN (7, 8) THEN NULL
                     WHEN i > {closed} AND i % 10 IN (0, 1) THEN NULL
                     ELSE t + interval '21 days' END,
                CASE WHEN i <= {closed} AND i % 10 NOT IN (7, 8) THEN t + interval '12 days' END,
                CASE WHEN i <= {closed} AND i % 10 NOT IN (7, 8) THEN ({clerks})[1 + i % 4] END,
                CASE WHEN i <= {closed} AND i % 10 = 6 THEN 'denied'
                     WHEN i <= {closed} AND i % 10 NOT IN (7, 8) THEN 'approved' ELSE '' END,
                '', '', '[]'::jsonb, ''
            FROM (SELECT i, now() - ({total} - i) * interval '{seconds} seconds' - interval '2 days' AS t
                  FROM generate_series(1, {total}) AS i) AS s
            """
        )
        print(f"applications in {time.perf_counter() - started:.0f} s", flush=True)
        # six history events each (submitted / accepted / notices / concluded …), the actor a clerk
        cursor.execute(
            """
            INSERT INTO applications_applicationevent
                (application_id, action, actor_id, by_applicant, from_status, to_status, note, at)
            SELECT a.id,
                   (ARRAY['submitted','accepted','correction_requested','resubmitted','extended','concluded'])[k],
                   CASE WHEN k = 1 THEN NULL ELSE a.created_by_id END, k = 1, '', '',
                   CASE WHEN k = 3 THEN '请补充户口簿复印件' ELSE '' END,
                   a.submitted_at + (k - 1) * interval '2 days'
            FROM applications_application a CROSS JOIN generate_series(1, 6) AS k
            """
        )
        print(f"events in {time.perf_counter() - started:.0f} s", flush=True)
        # a clock for each accepted application: stopped once concluded, else green / yellow / red / paused
        cursor.execute(
            f"""
            INSERT INTO timelimits_clock (
                org_id, created_by_id, created_at, updated_at, content_type_id, object_id, kind, rule, "limit",
                yellow_ratio, started_at, due_at, yellow_at, paused_at, stopped_at, extended_units,
                paused_days, paused_time, overdue_at_stop, due_provisional, status)
            SELECT a.org_id, NULL, a.accepted_at, a.accepted_at, {content_type}, a.id::text,
                   'applications.application', 'working_days', 15, 0.80, a.accepted_at, a.due_at,
                   a.due_at - interval '4 days',
                   CASE WHEN a.status = 'suspended' THEN a.accepted_at + interval '3 days' END,
                   a.concluded_at, 0, 0, interval '0', false, false,
                   CASE WHEN a.concluded_at IS NOT NULL THEN 'stopped'
                        WHEN a.status = 'suspended' THEN 'paused'
                        WHEN a.id % 5 = 0 THEN 'red' WHEN a.id % 5 = 1 THEN 'yellow' ELSE 'green' END
            FROM applications_application a WHERE a.accepted_at IS NOT NULL AND a.tracking_code LIKE 'H%'
            """
        )
        print(f"clocks in {time.perf_counter() - started:.0f} s", flush=True)
        cursor.execute(
            """
            INSERT INTO applications_rating (application_id, level, comment, channel, recorded_by_id, staff_id,
                                             paper_number, created_at)
            SELECT a.id, (ARRAY[5,5,5,4,4,4,3,3,2,1])[1 + (a.id / 2) % 10],
                   CASE WHEN (a.id / 2) % 10 >= 8 THEN '等待时间太长' ELSE '' END,
                   a.channel, NULL, a.created_by_id, '', a.concluded_at + interval '1 day'
            FROM applications_application a
            WHERE a.status IN ('concluded_approved', 'concluded_denied') AND a.id % 2 = 0
            """
        )
        cursor.execute(
            """
            INSERT INTO applications_rectification (org_id, created_by_id, created_at, updated_at, rating_id,
                responsible_id, department, status, due_at, measures, return_visit, feedback, closed_at,
                closed_by_id)
            SELECT a.org_id, NULL, r.created_at, r.created_at, r.id, a.created_by_id, '', 'closed',
                   r.created_at + interval '10 days', '已整改', '已回访', '满意', r.created_at + interval '9 days',
                   NULL
            FROM applications_rating r JOIN applications_application a ON a.id = r.application_id
            WHERE r.level <= 2
            """
        )
        print(f"ratings in {time.perf_counter() - started:.0f} s", flush=True)
        publishing = [str(i[0]) for i in items if i[2]] or [str(items[0][0])]
        cursor.execute(
            f"""
            INSERT INTO applications_publicnotice (org_id, created_by_id, created_at, updated_at,
                application_id, title, body, starts_at, ends_at, archived_at, objections_closed_at)
            SELECT a.org_id, a.concluded_by_id, a.concluded_at, a.concluded_at, a.id,
                   '关于' || left(a.applicant_name, 1) || '**办理结果的公示', '经审核，拟予准予，现予公示。',
                   a.concluded_at, a.concluded_at + interval '7 days',
                   CASE WHEN n > 100 THEN a.concluded_at + interval '8 days' END, NULL
            FROM (SELECT a.*, row_number() OVER (ORDER BY a.id DESC) AS n FROM applications_application a
                  WHERE a.status = 'concluded_approved' AND a.item_id IN ({",".join(publishing)})) AS a
            WHERE n <= {NOTICES}
            """
        )
        # one open application with a long history (the sub-district's hardest case): events, extensions
        cursor.execute(
            "SELECT id FROM applications_application WHERE status = 'accepted' ORDER BY id DESC LIMIT 1"
        )
        long_id = cursor.fetchone()[0]
        cursor.execute(
            f"""
            INSERT INTO applications_applicationevent
                (application_id, action, actor_id, by_applicant, from_status, to_status, note, at)
            SELECT {long_id}, (ARRAY['suspended','resumed','extended','correction_requested','resubmitted'])
                   [1 + k % 5], {staff["window"]}, false, '', '', '第' || k || '次：' || repeat('说明', 20), now() - ({LONG_HISTORY} - k) * interval '1 hour'
            FROM generate_series(1, {LONG_HISTORY}) AS k
            """
        )
        cursor.execute(
            """
            INSERT INTO applications_extensionrequest (application_id, days, reason, status, requested_by_id,
                requested_at, decided_by_id, decided_at, decision_note)
            SELECT %s, 5, '需现场核查', 'refused', %s, now() - k * interval '1 day', %s, now(), '理由不充分'
            FROM generate_series(1, 8) AS k
            """,
            [long_id, staff["window"], staff["leader"]],
        )
        for table in (
            "applications_application",
            "applications_applicationevent",
            "timelimits_clock",
            "applications_rating",
            "applications_rectification",
            "applications_publicnotice",
            "applications_extensionrequest",
        ):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"built in {time.perf_counter() - started:.0f} s", flush=True)


def samples() -> dict[str, int]:
    from django.db.models import Count

    from jiedao.applications.models import Application
    from jiedao.catalog.models import ServiceItem

    long_id = (
        Application.objects.filter(status="accepted")
        .annotate(n=Count("events"))
        .filter(n__gt=LONG_HISTORY)
        .values_list("pk", flat=True)
        .first()
    )
    item = ServiceItem.objects.filter(org__name="清波街道").order_by("pk").first()
    sample = Application.objects.filter(item=item).order_by("pk").first()
    return {"long": long_id, "item": item.pk, "name": sample.applicant_name, "code": sample.tracking_code}


def pages(ids: dict) -> list[tuple[str, str]]:
    return [
        ("办件 第1页", "/hall/staff/applications/"),
        ("办件 时限红灯", "/hall/staff/applications/?clock=red"),
        ("办件 时限黄灯", "/hall/staff/applications/?clock=yellow"),
        ("办件 待受理", "/hall/staff/applications/?status=submitted"),
        ("办件 一个事项", f"/hall/staff/applications/?item={ids['item']}"),
        ("办件 查询 姓名", f"/hall/staff/applications/?q={ids['name']}"),
        ("办件 查询 查询码", f"/hall/staff/applications/?q={ids['code']}"),
        ("办件 第500页", "/hall/staff/applications/?page=500"),
        ("办件 末页", "/hall/staff/applications/?page=last"),
        ("办件 有待审批延期", "/hall/staff/applications/?extension=pending"),
        ("办件详情（400 条记录）", f"/hall/staff/applications/{ids['long']}/"),
        ("时限监控", "/timelimits/"),
        ("时限监控 超期", "/timelimits/?status=red"),
        ("时限监控 全部 末页", "/timelimits/?status=all&page=last"),
        ("好差评统计", "/hall/staff/ratings/"),
        ("差评整改", "/hall/staff/rectifications/"),
        ("公示（公众）", "/hall/notices/"),
        ("公示 已归档 末页", "/hall/notices/?archived=1&page=last"),
        ("工作台首页", "/workbench/"),
        ("API 办件 第1页", "/api/v1/applications/"),
        ("API 办件 超期", "/api/v1/applications/?clock=red"),
        ("API 办件 offset 150000", "/api/v1/applications/?offset=150000"),
    ]


def measure(client, url: str, repeat: int) -> dict | None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(url)  # warm-up
    if response.status_code in (403, 404):
        return {"status": response.status_code}
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
    floor = statistics.median(replay(selects) for _ in range(min(repeat, 5)))
    return {
        "p50": statistics.median(timings) * 1000,
        "p95": percentile(timings, 95) * 1000,
        "queries": len(captured),
        "floor": floor * 1000,
        "kb": len(response.content) / 1024,
    }


def main() -> None:
    args = parse_args()
    if args.drop:
        subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", DB], check=True)
        return
    if args.reuse:
        use_existing()
        plain_static_files()
    else:
        setup_django("postgresql", name=DB)
        plain_static_files()  # before the demo, which renders pages (the storage is read once)
        build(args.applications)
    from jiedao.applications.models import Application

    ids = samples()
    users = args.users.split(",")
    clients = {name: client_for(name) for name in users}
    print(
        f"\npostgresql, {Application.objects.count():,} applications; p50/p95 of {args.repeat} requests after "
        "a warm-up"
    )
    print(f"{'user':<10} {'p50':>8} {'p95':>8} {'queries':>7} {'SQL floor':>9} {'size':>7}  page")
    for label, url in pages(ids):
        if args.only and args.only not in label:
            continue
        for user in users:
            row = measure(clients[user], url, args.repeat)
            if "status" in row:
                print(f"{user:<10} {'—':>8} {'':>8} {'':>7} {'':>9} {'':>7}  {label} ({row['status']})")
                continue
            print(
                f"{user:<10} {row['p50']:6.0f}ms {row['p95']:6.0f}ms {row['queries']:7d} {row['floor']:7.1f}ms "
                f"{row['kb']:5.0f}kB  {label}",
                flush=True,
            )


if __name__ == "__main__":
    main()
