"""Person search with N persons (default 1,000,000): HTTP latency through the API vs the raw indexed SQL.

    .venv/bin/python bench/bench_registry_search.py [--rows 1000000] [--database sqlite|postgresql]

Targets (issue #3): exact ID / phone p95 ≤ 20 ms over HTTP, name / pinyin / address p95 ≤ 150 ms.
"""

from __future__ import annotations

import argparse
import http.client
import random
import time
from datetime import date, timedelta

from _common import gunicorn, percentile, setup_django, summary_ms

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥建国建华文志海波宁浩宇轩子涵欣怡梓萱雨桐佳怡一诺思远"
STREETS = [
    "幸福路",
    "柳浪路",
    "涌金街",
    "南屏巷",
    "江城路",
    "近江大道",
    "秋涛路",
    "望江街",
    "清波街",
    "明湖路",
]


def build(rows: int, seed: int = 7):
    from django.db import connection, transaction
    from pypinyin import Style, lazy_pinyin

    from jiedao.core import crypto, demo
    from jiedao.orgs.models import OrgUnit
    from jiedao.registry.identity import id_number_hash, phone_hash
    from jiedao.registry.validators import make_id_number

    demo.load_tree()
    grids = list(OrgUnit.objects.filter(level=4).values_list("pk", flat=True))
    rng = random.Random(seed)
    names = list(
        {
            rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
            for _ in range(20000)
        }
    )
    keys = {n: ("".join(lazy_pinyin(n)), "".join(lazy_pinyin(n, style=Style.FIRST_LETTER))) for n in names}
    samples = {"id": [], "phone": [], "name": [], "pinyin": [], "initials": [], "address": []}
    columns = (
        "org_id",
        "name",
        "name_pinyin",
        "name_initials",
        "id_kind",
        "id_number",
        "id_number_hash",
        "id_number_masked",
        "gender",
        "birth_date",
        "ethnicity",
        "phone",
        "phone_hash",
        "phone_masked",
        "education",
        "political_status",
        "marital_status",
        "employment",
        "house_relation",
        "residence_address",
        "hukou_address",
        "status",
        "note",
        "photo",
        "created_at",
        "updated_at",
    )
    sql = f"INSERT INTO registry_person ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"
    now = time.strftime("%Y-%m-%d %H:%M:%S+00:00")
    batch, started = [], time.perf_counter()
    base = date(1930, 1, 1)
    with transaction.atomic(), connection.cursor() as cursor:
        for index in range(rows):
            birth = base + timedelta(days=index % 33000)
            number = make_id_number("330110", birth, (index // 33000) % 1000)
            phone = f"1{rng.choice('3589')}{index:09d}"[:11]
            name = names[index % len(names)]
            address = f"{STREETS[index % len(STREETS)]}{index % 997 + 1}号{index % 30 + 1}幢{index % 6 + 1}单元{index % 2000 + 101}"
            batch.append(
                (
                    grids[index % len(grids)],
                    name,
                    *keys[name],
                    "citizen",
                    crypto.encrypt(number),
                    id_number_hash(number),
                    crypto.mask_id_number(number),
                    "1",
                    birth,
                    "01",
                    crypto.encrypt(phone),
                    phone_hash(phone),
                    crypto.mask_phone(phone),
                    "",
                    "",
                    "",
                    "",
                    "family",
                    address,
                    "",
                    "living",
                    "",
                    "",
                    now,
                    now,
                )
            )
            if index % 5003 == 0:
                samples["id"].append(number)
                samples["phone"].append(phone)
                samples["name"].append(name[:2])
                samples["pinyin"].append(keys[name][0][:6])
                samples["initials"].append(keys[name][1])
                samples["address"].append(address[2:9])
            if len(batch) == 5000:
                cursor.executemany(sql, batch)
                batch.clear()
        if batch:
            cursor.executemany(sql, batch)
    print(f"inserted {rows:,} persons in {time.perf_counter() - started:.1f} s")
    return samples


def raw_floor(samples):
    """The same look-ups as plain indexed SQL on the same database, no Django ORM, no HTTP."""
    from django.db import connection

    from jiedao.registry.identity import id_number_hash, phone_hash

    vendor = connection.vendor
    queries = {
        "id": (
            "SELECT id, name, id_number_masked FROM registry_person WHERE id_number_hash = %s",
            id_number_hash,
        ),
        "phone": ("SELECT id, name, phone_masked FROM registry_person WHERE phone_hash = %s", phone_hash),
        "name": (
            "SELECT id, name FROM registry_person WHERE name LIKE %s ORDER BY name LIMIT 50",
            lambda v: v + "%",
        ),
        "pinyin": (
            "SELECT id, name FROM registry_person WHERE name_pinyin LIKE %s ORDER BY name LIMIT 50",
            lambda v: v + "%",
        ),
        "initials": (
            "SELECT id, name FROM registry_person WHERE name_initials LIKE %s ORDER BY name LIMIT 50",
            lambda v: v + "%",
        ),
        "address": (
            (
                "SELECT p.id, p.name FROM registry_person p WHERE p.id IN (SELECT rowid FROM registry_person_address_fts "
                "WHERE registry_person_address_fts MATCH %s) ORDER BY p.name LIMIT 50"
            )
            if vendor == "sqlite"
            else "SELECT id, name FROM registry_person WHERE residence_address LIKE %s ORDER BY name LIMIT 50",
            (lambda v: f'"{v}"') if vendor == "sqlite" else (lambda v: f"%{v}%"),
        ),
    }
    results = {}
    with connection.cursor() as cursor:
        for kind, (sql, transform) in queries.items():
            timings = []
            for value in samples[kind]:
                start = time.perf_counter()
                cursor.execute(sql, [transform(value)])
                cursor.fetchall()
                timings.append(time.perf_counter() - start)
            results[kind] = timings
    return results


def over_http(port: int, token: str, samples):
    parameter = {"id": "q", "phone": "q", "name": "q", "pinyin": "q", "initials": "q", "address": "address"}
    results = {}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Token {token}", "Host": "127.0.0.1"}
    for kind, values in samples.items():
        timings = []
        for value in values:
            from urllib.parse import quote

            start = time.perf_counter()
            connection.request(
                "GET", f"/api/v1/persons/?{parameter[kind]}={quote(value)}&limit=50", headers=headers
            )
            response = connection.getresponse()
            body = response.read()
            timings.append(time.perf_counter() - start)
            if response.status != 200:
                raise SystemExit(f"{kind} {value}: HTTP {response.status} {body[:200]!r}")
        results[kind] = timings
    return results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    env = setup_django(args.database, name="jiedao_bench_search")
    samples = build(args.rows)
    from rest_framework.authtoken.models import Token

    from jiedao.accounts.models import Role, User
    from jiedao.core.demo import resolve_permissions
    from jiedao.core.maintenance import optimize_database
    from jiedao.core.scope import DataScope
    from jiedao.orgs.models import OrgUnit

    optimize_database(tables=("registry_person",))  # as the import job and the periodic job do
    role = Role.objects.create(code="bench", name="bench", data_scope=DataScope.SUBTREE)
    role.permissions.set(resolve_permissions(("registry.view_person",)))
    user = User.objects.create(
        username="bench",
        full_name="基准",
        org=OrgUnit.objects.get(level=1),
        password_changed_at=time.strftime("%Y-%m-%d %H:%M:%S+00:00"),
    )
    user.roles.add(role)
    token = Token.objects.create(user=user).key
    floor = raw_floor(samples)
    with gunicorn(env) as port:
        over_http(port, token, {k: v[:3] for k, v in samples.items()})  # warm up both workers
        http_results = over_http(port, token, samples)
    print(f"\n{args.database}, {args.rows:,} persons")
    print(f"{'search':<10} {'raw SQL':>38}   {'HTTP /api/v1/persons/':>38}   ratio p95")
    for kind in samples:
        ratio = percentile(http_results[kind], 95) / max(percentile(floor[kind], 95), 1e-6)
        print(
            f"{kind:<10} {summary_ms(floor[kind]):>38}   {summary_ms(http_results[kind]):>38}   {ratio:6.1f}×"
        )


if __name__ == "__main__":
    main()
