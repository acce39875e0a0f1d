"""Benchmark: reading a large .xlsx with python-calamine versus the streaming reader of jiedao.spreadsheets.

    .venv/bin/python bench/bench_spreadsheet_read.py --rows 100000
    .venv/bin/python bench/bench_spreadsheet_read.py --rows 1000000 --engines stream,calamine

Generates one messy roster workbook (title row, merged group header above the real header, “*”-marked and
bracket-annotated headers, full-width digits, stray spaces, blank rows, Excel dates, ID numbers as text)
with xlsxwriter, then reads it once per engine, each in a fresh Python process so that its peak RSS is its
own:

* calamine — `open_rows(path, engine="calamine")`: python-calamine materialises the whole sheet;
* stream — `open_rows(path, engine="stream")`: pyexpat over the decompressing member, flat memory;
* iterparse — a minimal `xml.etree.ElementTree.iterparse` reader (clearing elements), for comparison with
  the pyexpat callbacks the stream reader uses.

Prints wall time for iterating every row, peak RSS of the process and the RSS before reading (Python +
Django), and the stream/calamine ratios. The workbook uses shared strings like Excel does (xlsxwriter's
default mode); with `--inline` (or above 300,000 rows, where xlsxwriter's in-memory mode gets heavy) it
is written in constant-memory mode, which stores inline strings instead.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
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


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def peak_rss_mb() -> float:
    """VmHWM: the peak of this process since exec (ru_maxrss would include the parent's peak at fork)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def id_number(rng: random.Random, birth: date) -> str:
    body = f"110105{birth:%Y%m%d}{rng.randrange(1000):03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
    return body + check


def generate(path: Path, rows: int, *, inline: bool, seed: int = 7) -> None:
    import xlsxwriter

    rng = random.Random(seed)
    workbook = xlsxwriter.Workbook(
        str(path), {"constant_memory": inline, "strings_to_numbers": False, "strings_to_formulas": False}
    )
    sheet = workbook.add_worksheet("花名册")
    date_format = workbook.add_format({"num_format": "yyyy/m/d"})
    text_format = workbook.add_format({"num_format": "@"})
    sheet.merge_range(0, 0, 0, 7, "柳浪社区人口花名册（2026年1月）")
    sheet.merge_range(1, 0, 2, 0, "序号")
    sheet.merge_range(1, 1, 1, 4, "基本信息")
    sheet.merge_range(1, 5, 1, 7, "联系方式")
    for column, title in enumerate(
        ["*姓名", "性别", "身份证号（必填）", "出生日期", "联系电话", "现住址", "备注"], start=1
    ):
        sheet.write_string(2, column, title)
    row = 3
    for n in range(1, rows + 1):
        if n % 997 == 0:
            row += 1  # a blank row
        birth = date(1940, 1, 1) + timedelta(days=rng.randrange(80 * 365))
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
        if n % 50 == 0:
            name = f" {name}\u3000"  # stray spaces
        ident = id_number(rng, birth)
        if n % 40 == 0:
            ident = ident.translate(FULLWIDTH_DIGITS)
        sheet.write_number(row, 0, n)
        sheet.write_string(row, 1, name)
        sheet.write_string(row, 2, "男" if rng.random() < 0.5 else "女")
        sheet.write_string(row, 3, ident, text_format)
        if n % 30 == 0:
            sheet.write_string(row, 4, f"{birth.year}年{birth.month}月{birth.day}日")
        else:
            sheet.write_datetime(row, 4, birth, date_format)
        sheet.write_number(row, 5, 13_000_000_000 + rng.randrange(999_999_999))
        sheet.write_string(
            row, 6, f"柳浪社区{rng.randrange(1, 40)}号楼{rng.randrange(1, 7)}单元{rng.randrange(101, 2800)}室"
        )
        if n % 7 == 0:
            sheet.write_string(row, 7, rng.choice(["低保户", "独居老人", "退役军人", "流动人口", "残疾人"]))
        row += 1
    workbook.close()


def iterparse_rows(path: Path):
    """A minimal ElementTree.iterparse reader: shared strings, inline strings, numbers; no dates."""
    import zipfile
    from xml.etree.ElementTree import iterparse

    ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    with zipfile.ZipFile(path) as package:
        shared: list[str] = []
        if "xl/sharedStrings.xml" in package.namelist():
            with package.open("xl/sharedStrings.xml") as source:
                for _event, element in iterparse(source):
                    if element.tag == f"{ns}si":
                        shared.append("".join(t.text or "" for t in element.iter(f"{ns}t")))
                        element.clear()
        with package.open("xl/worksheets/sheet1.xml") as source:
            for _event, element in iterparse(source):
                if element.tag != f"{ns}row":
                    continue
                cells = []
                for cell in element.iter(f"{ns}c"):
                    kind = cell.get("t")
                    value = cell.findtext(f"{ns}v")
                    if kind == "s":
                        cells.append(shared[int(value)])
                    elif kind == "inlineStr":
                        cells.append("".join(t.text or "" for t in cell.iter(f"{ns}t")))
                    elif value is not None:
                        cells.append(float(value))
                    else:
                        cells.append(None)
                element.clear()
                yield cells


def read(engine: str, path: Path) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiedao.settings.dev")
    import django

    django.setup()
    from jiedao.spreadsheets.readers import Limits, open_rows

    baseline = rss_mb()
    started = time.perf_counter()
    rows = cells = 0
    if engine == "iterparse":
        for row in iterparse_rows(path):
            rows += 1
            cells += len(row)
    else:
        limits = Limits(max_upload_bytes=10**12, max_uncompressed_bytes=10**12)
        with open_rows(path, engine=engine, limits=limits) as source:
            for row in source:
                rows += 1
                cells += len(row)
    return {
        "engine": engine,
        "seconds": round(time.perf_counter() - started, 2),
        "rows": rows,
        "cells": cells,
        "baseline_rss_mb": round(baseline, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000, help="data rows to generate (100,000)")
    parser.add_argument("--engines", default="calamine,stream,iterparse", help="comma-separated engines")
    parser.add_argument("--inline", action="store_true", help="write inline strings (constant-memory mode)")
    parser.add_argument("--file", type=Path, help="read this workbook instead of generating one")
    parser.add_argument("--keep", action="store_true", help="keep the generated workbook")
    parser.add_argument("--read", nargs=2, metavar=("ENGINE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.read:
        print(json.dumps(read(args.read[0], Path(args.read[1]))))
        return

    workdir = Path(tempfile.mkdtemp(prefix="bench-spreadsheet-"))
    path = args.file or workdir / f"roster-{args.rows}.xlsx"
    if not args.file:
        inline = args.inline or args.rows > 300_000
        started = time.perf_counter()
        generate(path, args.rows, inline=inline)
        print(
            f"generated {args.rows:,} rows in {time.perf_counter() - started:.1f} s: {path.stat().st_size / 1e6:.1f} MB"
            f" ({'inline strings' if inline else 'shared strings'})"
        )
    import zipfile

    with zipfile.ZipFile(path) as package:
        sheet = package.getinfo("xl/worksheets/sheet1.xml").file_size
    print(f"sheet XML {sheet / 2**20:.1f} MiB (calamine is used below 64 MiB unless configured otherwise)")
    results = {}
    for engine in args.engines.split(","):
        output = subprocess.run(
            [sys.executable, __file__, "--read", engine, str(path)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        result = json.loads(output.strip().splitlines()[-1])
        results[engine] = result
        print(
            f"{engine:>9}: {result['seconds']:7.2f} s  peak RSS {result['peak_rss_mb']:7.1f} MB"
            f"  (before reading {result['baseline_rss_mb']:.1f} MB)  {result['rows']:,} rows, {result['cells']:,} cells"
        )
    if "calamine" in results and "stream" in results:
        calamine, stream = results["calamine"], results["stream"]
        print(
            f"stream / calamine: time ×{stream['seconds'] / max(calamine['seconds'], 0.01):.2f},"
            f" peak RSS ×{stream['peak_rss_mb'] / max(calamine['peak_rss_mb'], 0.1):.2f},"
            f" RSS above baseline ×{(stream['peak_rss_mb'] - stream['baseline_rss_mb']) / max(calamine['peak_rss_mb'] - calamine['baseline_rss_mb'], 0.1):.2f}"
        )
    if not args.keep and not args.file:
        path.unlink()
        workdir.rmdir()
    elif not args.file:
        print(f"kept {path}")


if __name__ == "__main__":
    main()
