"""Benchmark: importing a messy person roster into the registry, against a raw floor and django-import-export.

    .venv/bin/python bench/bench_registry_import.py                          # 100,000 rows, SQLite
    .venv/bin/python bench/bench_registry_import.py --database postgresql
    .venv/bin/python bench/bench_registry_import.py --rows 1000000 --only-ours

Generates N person rows the way community offices keep them (title row, merged group header, “*”-marked and
bracket-annotated headers, full-width digits in some ID numbers, stray spaces, Excel dates next to
“1990年3月7日” / “1990/3/7” / “1990.03.07”, phones as numbers, blank rows, and a few invalid rows: a wrong
check character, an ID number typed as a number, a duplicate). Then, on the same file and a fresh database
(`bench._common.setup_django`), each phase in its own Python process so that its peak RSS (VmHWM) is its own:

1. floor — python-calamine parse + one raw `executemany` of the same cell values into a plain table with a
   UNIQUE index on the ID column, in one transaction (as in ../shared/docs/performance-notes.md);
2. floor into the person schema — the same parse and one `executemany` of the same cells into the real
   `registry_person` table (in a second fresh database), with all its indexes, its blind-index UNIQUE
   constraint and its address search structure (SQLite: the FTS5 table, filled with one INSERT … SELECT as
   the import does; PostgreSQL: the pg_trgm GIN index). Each derived column (blind index, masked copy,
   pinyin) takes the cell it is derived from so that its index does the same work; nothing is validated,
   hashed or encrypted. It shows what the schema itself costs, apart from the per-row work;
3. ours — `import_start` + `import_run` of the `registry-persons` spec, in-process (the real engine, the real
   spec: validation, hashing, encryption, pinyin, bulk upserts, life events, one audit event per batch);
4. django-import-export 4.x — a minimal `ModelResource` (`import_id_fields = ["id_number"]`, default
   settings) on a plain model with the same columns, declared in that process only (not in INSTALLED_APPS),
   importing the same rows (parsed with calamine, header rows dropped) from a tablib Dataset.

Prints time, rows/s, the process's CPU time (the database's too on SQLite, which runs in-process: a steadier
figure than wall time on a busy machine), peak RSS and the ratios ours / floor (target ≤ 2×), ours / floor
into the person schema (no target: the schema's share) and django-import-export / ours (target ≥ 10×). `--only-ours` skips the floor and django-import-export (for the 1M-row memory figure; the
engine streams an .xlsx whose sheet XML is above 64 MiB). `--profile` runs ours under cProfile.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉梅晓东海燕"
FULLWIDTH_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")
REGIONS = ("330110", "330102", "330106", "340102", "110105", "510104", "411521", "361102")
ETHNICITIES = ("汉族", "汉族", "汉族", "01", "回族", "满族", "06")
HEADERS = ["*姓名", "性别", "身份证号（必填）", "出生日期", "联系电话", "民族", "现住址", "备注"]
DAYS = 80 * 365
FLOOR_COLUMNS = ("name", "gender", "id_number", "birth_date", "phone", "ethnicity", "address", "note")


def vm_kb(key: str) -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(key):
                return int(line.split()[1]) / 1024
    return 0.0


def check_char(first17: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights, strict=True)) % 11]


def person_id(n: int) -> tuple[str, date, str]:
    """A unique valid ID number for row n (unique below 8 × 29,200,000 rows), its birth date and gender."""
    day, rest = n % DAYS, n // DAYS
    born = date(1940, 1, 1) + timedelta(days=day)
    sequence, region = rest % 1000, REGIONS[(rest // 1000) % len(REGIONS)]
    first17 = f"{region}{born:%Y%m%d}{sequence:03d}"
    return first17 + check_char(first17), born, "男" if sequence % 2 else "女"


def generate(path: Path, rows: int, *, seed: int = 11) -> dict[str, int]:
    """Write the roster; return how many rows of each kind it holds."""
    import xlsxwriter

    rng = random.Random(seed)
    inline = rows > 300_000  # xlsxwriter's shared-string table gets heavy above this
    book = xlsxwriter.Workbook(
        str(path), {"constant_memory": inline, "strings_to_numbers": False, "strings_to_formulas": False}
    )
    sheet = book.add_worksheet("花名册")
    date_format = book.add_format({"num_format": "yyyy/m/d"})
    text_format = book.add_format({"num_format": "@"})
    sheet.merge_range(0, 0, 0, len(HEADERS), "柳浪社区人口花名册（2026年11月）")
    sheet.merge_range(1, 0, 2, 0, "序号")
    sheet.merge_range(1, 1, 1, 4, "基本信息")
    sheet.merge_range(1, 5, 1, len(HEADERS), "联系与居住")
    for column, title in enumerate(HEADERS, start=1):
        sheet.write_string(2, column, title)
    counts = {"rows": 0, "invalid": 0, "duplicates": 0, "blank": 0}
    row = 3
    previous = None
    for n in range(1, rows + 1):
        if n % 997 == 0:
            row += 1  # a blank row
            counts["blank"] += 1
        ident, born, gender = person_id(n)
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
        if n % 50 == 0:
            name = f" {name}\u3000"
        id_cell: object = ident
        if n % 40 == 0:
            id_cell = ident.translate(FULLWIDTH_DIGITS)
        elif n % 33 == 0:
            id_cell = f" {ident[:6]} {ident[6:14]} {ident[14:]} "
        if n % 2000 == 0:  # a wrong check character
            id_cell = ident[:17] + ("1" if ident[17] != "1" else "2")
            counts["invalid"] += 1
        elif n % 2000 == 1000:  # typed into a number cell: Excel kept 15 digits
            id_cell = float(ident[:15] + "000") if ident[17] != "X" else float(ident[:17] + "0")
            counts["invalid"] += 1
        elif n % 5000 == 2500 and previous is not None:  # the row above again
            id_cell = previous
            counts["duplicates"] += 1
        previous = ident
        sheet.write_number(row, 0, n)
        sheet.write_string(row, 1, name)
        sheet.write_string(row, 2, gender)
        if isinstance(id_cell, float):
            sheet.write_number(row, 3, id_cell)
        else:
            sheet.write_string(row, 3, id_cell, text_format)
        style = n % 10
        if style < 6:
            sheet.write_datetime(row, 4, born, date_format)
        elif style < 8:
            sheet.write_string(row, 4, f"{born.year}年{born.month}月{born.day}日")
        elif style == 8:
            sheet.write_string(row, 4, f"{born.year}/{born.month}/{born.day}")
        else:
            sheet.write_string(row, 4, f"{born:%Y.%m.%d}")
        if rng.random() < 0.92:
            sheet.write_number(row, 5, 13_800_000_000 + rng.randrange(99_999_999))
        sheet.write_string(row, 6, rng.choice(ETHNICITIES))
        sheet.write_string(
            row, 7, f"柳浪路{rng.randrange(1, 40)}号{rng.randrange(1, 7)}单元{rng.randrange(101, 2800)}室"
        )
        if n % 7 == 0:
            sheet.write_string(row, 8, rng.choice(["低保户", "独居老人", "退役军人", "流动人口", "残疾人"]))
        row += 1
        counts["rows"] += 1
    book.close()
    return counts


# --- phases (each in its own process) -------------------------------------------------------------------------


def _django(env: dict[str, str]) -> None:
    os.environ.update(env)
    import django

    django.setup()


def _calamine_rows(path: Path) -> list[list]:
    """The data rows (after the three title/header rows) as python-calamine returns them."""
    import python_calamine

    book = python_calamine.CalamineWorkbook.from_path(str(path))
    rows = book.get_sheet_by_index(0).to_python(skip_empty_area=False)
    return [row[1:9] for row in rows[3:] if any(cell not in ("", None) for cell in row)]


def phase_floor(path: Path, env: dict[str, str]) -> dict:
    _django(env)
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_floor")
        cursor.execute(
            "CREATE TABLE bench_floor (id INTEGER PRIMARY KEY, "
            + ", ".join(f"{column} TEXT" for column in FLOOR_COLUMNS)
            + ")"
            if connection.vendor == "sqlite"
            else "CREATE TABLE bench_floor (id BIGSERIAL PRIMARY KEY, "
            + ", ".join(f"{column} TEXT" for column in FLOOR_COLUMNS)
            + ")"
        )
        cursor.execute("CREATE UNIQUE INDEX bench_floor_id_number ON bench_floor (id_number)")
    baseline = vm_kb("VmRSS:")
    started, cpu = time.perf_counter(), time.process_time()
    rows = _calamine_rows(path)
    parsed = time.perf_counter() - started
    values = [[None if cell == "" else str(cell) for cell in row] for row in rows]
    conflict = "ON CONFLICT (id_number) DO NOTHING"
    sql = f"INSERT INTO bench_floor ({', '.join(FLOOR_COLUMNS)}) VALUES ({', '.join(['%s'] * 8)}) {conflict}"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(sql, values)
    return _floor_result("bench_floor", started, cpu, parsed, len(rows), baseline)


def _floor_result(table: str, started: float, cpu: float, parsed: float, rows: int, baseline: float) -> dict:
    """A floor phase's figures, taken as soon as its transaction has committed."""
    from django.db import connection

    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {table}")
        stored = cursor.fetchone()[0]
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "parse_seconds": parsed,
        "rows": rows,
        "stored": stored,
        "baseline_mb": baseline,
        "peak_mb": vm_kb("VmHWM:"),
    }


def phase_floor_schema(path: Path, env: dict[str, str]) -> dict:
    """The floor again, into the real `registry_person` (its own fresh database): the same cells, where the
    schema wants them, with every index, constraint and search structure the table has."""
    _django(env)
    from datetime import date, datetime

    from django.core.management import call_command
    from django.db import connection, transaction

    from jiedao.core.testing import build_tree
    from jiedao.registry.search_indexes import AddressIndexBatch

    call_command("migrate", verbosity=0)
    org_id = build_tree().community_a1.pk
    columns = (
        "org_id, created_at, updated_at, name, name_pinyin, name_initials, id_kind, id_number, id_number_hash,"
        " id_number_masked, gender, birth_date, ethnicity, phone, phone_hash, phone_masked, other_phones,"
        " other_phones_masked, education, political_status, marital_status, employment, house_relation,"
        " residence_address, hukou_address, status, photo, note"
    )
    sql = (
        f"INSERT INTO registry_person ({columns}) VALUES ({', '.join(['%s'] * 28)})"
        " ON CONFLICT (id_number_hash) DO NOTHING"
    )
    now = datetime.now().astimezone()
    undated = date(1990, 1, 1)
    baseline = vm_kb("VmRSS:")
    started, cpu = time.perf_counter(), time.process_time()
    rows = _calamine_rows(path)
    parsed = time.perf_counter() - started
    values = []
    for row in rows:
        name, gender, ident, born, phone, ethnicity, address, note = (
            "" if cell in ("", None) else str(cell) for cell in row
        )
        # Each derived column (hash, masked copy, pinyin) gets the cell it is derived from, so that its
        # index does the same work; text cut to the column's length (PostgreSQL enforces it); a date column
        # takes the cell when the file has a real date, else a constant.
        values.append(
            (
                org_id, now, now, name, name, name, "citizen", ident, ident, ident[:18], gender[:1],
                row[3] if isinstance(row[3], date) else undated, ethnicity[:4], phone, phone, phone[:20],
                "", "", "", "", "", "", "family", address, "", "living", "", note,
            )
        )  # fmt: skip
    # The address index kept set-based, the way the import keeps it.
    with transaction.atomic(), AddressIndexBatch(connection) as address_index, connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM registry_person")
        last_id = cursor.fetchone()[0]
        cursor.executemany(sql, values)
        cursor.execute("SELECT id FROM registry_person WHERE id > %s", [last_id])
        address_index.added(pk for (pk,) in cursor.fetchall())
    return _floor_result("registry_person", started, cpu, parsed, len(rows), baseline)


def phase_ours(path: Path, env: dict[str, str], profile: str | None = None) -> dict:
    _django(env)
    from django.conf import settings
    from django.core.files import File

    settings.JIEDAO_IMPORT_MAX_UPLOAD_BYTES = 4 * 1024**3
    from jiedao.core.testing import build_tree, make_user
    from jiedao.registry.models import LifeEvent, Person
    from jiedao.spreadsheets import services

    services._enqueue = lambda job: None  # run in this process below, not through the task queue
    tree = build_tree()
    clerk = make_user(tree.community_a1, "registry.add_person", "registry.view_person")
    baseline = vm_kb("VmRSS:")
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    started, cpu = time.perf_counter(), time.process_time()
    with open(path, "rb") as handle:
        job = services.import_start(
            actor=clerk,
            spec_key="registry-persons",
            org=tree.community_a1,
            uploaded_file=File(handle, "花名册.xlsx"),
        )
    result = services.import_run(job.pk)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(profile)
    job.refresh_from_db()
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "status": result["status"],
        "failure": job.failure_message,
        "engine": "stream" if path.stat().st_size and _sheet_bytes(path) > 64 * 1024**2 else "calamine",
        "rows": job.rows_processed,
        "created": job.created_count,
        "updated": job.updated_count,
        "errors": job.error_count,
        "persons": Person.objects.count(),
        "life_events": LifeEvent.objects.count(),
        "baseline_mb": baseline,
        "peak_mb": vm_kb("VmHWM:"),
    }


def phase_import_export(path: Path, env: dict[str, str]) -> dict:
    _django(env)
    import tablib
    from django.db import connection, models
    from import_export import resources

    class BenchPerson(models.Model):
        id_number = models.CharField(max_length=40, unique=True)
        name = models.CharField(max_length=50)
        gender = models.CharField(max_length=4, blank=True)
        birth_date = models.CharField(max_length=40, blank=True)
        phone = models.CharField(max_length=20, blank=True)
        ethnicity = models.CharField(max_length=10, blank=True)
        address = models.CharField(max_length=300, blank=True)
        note = models.CharField(max_length=100, blank=True)

        class Meta:
            app_label = "spreadsheets"  # borrowed label: the model lives in this process only
            db_table = "bench_import_export"

        def __str__(self) -> str:
            return self.id_number

    class BenchPersonResource(resources.ModelResource):
        class Meta:
            model = BenchPerson
            import_id_fields = ["id_number"]
            fields = ("id_number", "name", "gender", "birth_date", "phone", "ethnicity", "address", "note")

    with connection.schema_editor() as editor:
        editor.create_model(BenchPerson)
    baseline = vm_kb("VmRSS:")
    started, cpu = time.perf_counter(), time.process_time()
    rows = _calamine_rows(path)
    dataset = tablib.Dataset(headers=list(FLOOR_COLUMNS))
    for row in rows:
        dataset.append(["" if cell is None else str(cell).strip() for cell in row])
    result = BenchPersonResource().import_data(dataset, dry_run=False, raise_errors=False)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "rows": len(rows),
        "new": result.totals.get("new", 0),
        "update": result.totals.get("update", 0),
        "error": result.totals.get("error", 0) + result.totals.get("invalid", 0),
        "stored": BenchPerson.objects.count(),
        "baseline_mb": baseline,
        "peak_mb": vm_kb("VmHWM:"),
    }


def _sheet_bytes(path: Path) -> int:
    import zipfile

    with zipfile.ZipFile(path) as package:
        return package.getinfo("xl/worksheets/sheet1.xml").file_size


PHASES = {
    "floor": phase_floor,
    "floor_schema": phase_floor_schema,
    "ours": phase_ours,
    "import_export": phase_import_export,
}


def second_database(env: dict[str, str], database: str, name: str) -> dict[str, str]:
    """A second fresh, empty database for the schema floor (the import fills the first one)."""
    if database == "sqlite":
        return {**env, "JIEDAO_VAR_DIR": tempfile.mkdtemp(prefix="jiedao-bench-schema-")}
    psql = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc"]
    subprocess.run([*psql, f"DROP DATABASE IF EXISTS {name}", "postgres"], check=True)
    subprocess.run(
        [*psql, f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C.UTF-8'", "postgres"],
        check=True,
    )
    return {**env, "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{name}"}


def run_phase(name: str, path: Path, env: dict[str, str], profile: str | None = None) -> dict:
    command = [sys.executable, __file__, "--phase", name, str(path), json.dumps(env)]
    if profile:
        command += ["--profile", profile]
    completed = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    if completed.returncode:
        sys.stderr.write(completed.stderr[-4000:])
        raise SystemExit(f"phase {name} failed")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def line(label: str, result: dict, rows: int) -> str:
    return (
        f"{label:>22}: {result['seconds']:8.2f} s  {rows / result['seconds']:9,.0f} rows/s"
        f"  CPU {result['cpu_seconds']:6.2f} s"
        f"  peak RSS {result['peak_mb']:7.1f} MB (before: {result['baseline_mb']:.1f} MB)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--only-ours", action="store_true", help="skip the floor and django-import-export")
    parser.add_argument("--profile", metavar="FILE", help="run ours under cProfile, stats to FILE")
    parser.add_argument("--file", type=Path, help="import this roster instead of generating one")
    parser.add_argument("--keep", action="store_true", help="keep the generated workbook")
    parser.add_argument(
        "--db-name", default="jiedao_bench_import", help="PostgreSQL database to (re)create; also NAME_schema"
    )
    parser.add_argument("--phase", nargs=3, metavar=("NAME", "PATH", "ENV"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        name, path, env = args.phase
        function = PHASES[name]
        extra = {"profile": args.profile} if name == "ours" else {}
        print(json.dumps(function(Path(path), json.loads(env), **extra), default=str))
        return

    workdir = Path(tempfile.mkdtemp(prefix="bench-registry-import-"))
    path = args.file or workdir / f"roster-{args.rows}.xlsx"
    if not args.file:
        started = time.perf_counter()
        counts = generate(path, args.rows)
        print(
            f"generated {counts['rows']:,} rows ({counts['invalid']} invalid, {counts['duplicates']} duplicates,"
            f" {counts['blank']} blank rows) in {time.perf_counter() - started:.1f} s:"
            f" {path.stat().st_size / 1e6:.1f} MB, sheet XML {_sheet_bytes(path) / 2**20:.1f} MiB"
        )
    from bench._common import setup_django

    env = setup_django(args.database, name=args.db_name)  # one fresh database; each phase its tables
    from django.db import connection

    connection.close()
    results = {}
    phases = ["ours"] if args.only_ours else ["floor", "floor_schema", "ours", "import_export"]
    for phase in phases:
        phase_env = (
            second_database(env, args.database, args.db_name + "_schema") if phase == "floor_schema" else env
        )
        results[phase] = run_phase(phase, path, phase_env, args.profile if phase == "ours" else None)
    print(f"database: {args.database}; python {sys.version.split()[0]}")
    rows = results["ours"]["rows"]
    if "floor" in results:
        floor = results["floor"]
        print(line("floor (calamine+SQL)", floor, rows) + f"  parse {floor['parse_seconds']:.2f} s")
        schema = results["floor_schema"]
        print(
            line("floor, person schema", schema, rows)
            + f"  parse {schema['parse_seconds']:.2f} s  [{schema['stored']:,} stored]"
        )
    ours = results["ours"]
    print(
        line("ours (engine+spec)", ours, rows)
        + f"  [{ours['status']}: {ours['created']:,} created, {ours['updated']:,} updated,"
        f" {ours['errors']:,} errors; {ours['persons']:,} persons, {ours['life_events']:,} life events]"
    )
    if ours["failure"]:
        print("   failure:", ours["failure"])
    if "import_export" in results:
        other = results["import_export"]
        print(
            line("django-import-export", other, rows)
            + f"  [{other['new']:,} new, {other['update']:,} updated, {other['error']:,} errors]"
        )
    if "floor" in results:
        print(f"ours / floor: ×{ours['seconds'] / results['floor']['seconds']:.2f} (target ≤ 2)")
        print(
            f"ours / floor into the person schema: ×{ours['seconds'] / results['floor_schema']['seconds']:.2f}"
            " (what the per-row work costs over loading the same cells into the real table)"
        )
    if "import_export" in results:
        print(
            f"django-import-export / ours: ×{results['import_export']['seconds'] / ours['seconds']:.1f}"
            " (target ≥ 10)"
        )
    if not args.keep and not args.file:
        path.unlink()
        workdir.rmdir()
    elif not args.file:
        print(f"kept {path}")


if __name__ == "__main__":
    main()
