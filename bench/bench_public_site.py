"""Public site under load: catalog, guide page and tracking lookup vs a bare Django view, production config.

    .venv/bin/python bench/bench_public_site.py [--database sqlite|postgresql] [--duration 10] [--workers 2,4]
        [--server-threads 1]

Target (issue #5): public catalog, guide page and tracking lookup reach ≥ 60% of the requests/s of a bare
Django view (/healthz, full middleware stack) on the same server config, with 0 errors at 200 concurrent
clients. Each endpoint is measured right after its own run of the floor, and its ratio is to that run.
Load comes from wrk (`apt-get install -y wrk`); the server is gunicorn (sync workers, or threaded workers with
--server-threads as docs/operations.md runs them) with DJANGO_SETTINGS_MODULE=jiedao.settings.production.
Every request is sent with `Connection: close`, as nginx talks to gunicorn by default: a sync worker closes
anyway, and a threaded worker would otherwise keep each of wrk's 200 connections in whichever process
accepted it first, so that one process may serve most of the load while the other idles (runs that differ
2-3x from one start to the next). Loads the demo data (`manage.py demo`, ~15 s).

A tracking look-up on the page is a POST of the code and phone to /api/v1/public/track/ (the page's script;
the same JSON API other clients use: no session, no CSRF). Without scripts the page's CSRF-protected form
posts to /hall/track/ and the server renders the page: measured too, driven like a browser would after one
GET (a fixed csrftoken cookie + the matching form token). The per-IP tracking rate limit
(`applications.track_limit`) is lifted in the bench database so the load is not refused.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from _common import gunicorn, setup_django

PRODUCTION_ENV = {
    "SECRET_KEY": secrets.token_urlsafe(48),
    "JIEDAO_FIELD_KEYS": secrets.token_hex(16),
    "JIEDAO_BLIND_INDEX_KEY": secrets.token_hex(32),
    "JIEDAO_SSL_REDIRECT": "0",
    "JIEDAO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    "JIEDAO_DEBUG": "0",
    "JIEDAO_PUBLIC_URL": "http://127.0.0.1",
}
TARGET_RATIO = 0.60

# One script for every endpoint (including the floor), so the Lua per-response hook costs the same everywhere.
LUA_TEMPLATE = r"""
wrk.method = %(method)s
wrk.body = %(body)s
%(headers)s
local threads = {}
function setup(thread)
  table.insert(threads, thread)
end
function init(args)
  non2xx = 0
  first_bad = 0
end
function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if first_bad == 0 then first_bad = status end
  end
end
function done(summary, latency, requests)
  local bad, first = 0, 0
  for _, t in ipairs(threads) do
    bad = bad + t:get("non2xx")
    if first == 0 then first = t:get("first_bad") end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p99_us": %%d, "max_us": %%d, ' ..
    '"connect": %%d, "read": %%d, "write": %%d, "timeout": %%d, "status": %%d, "non2xx": %%d, "first_bad": %%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.timeout, e.status, bad, first))
end
"""


@dataclass
class Endpoint:
    label: str
    path: str
    method: str = "GET"
    body: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    target: bool = True  # part of the issue #5 target (the floor and extra pages are not)


@dataclass
class Result:
    rps: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    non2xx: int
    first_bad: int
    socket_errors: dict[str, int]


def lua_string(value: str | None) -> str:
    """A Lua string literal: every byte outside printable ASCII (and quote, backslash) as a \\ddd escape."""
    if value is None:
        return "nil"
    return (
        '"'
        + "".join(chr(b) if 32 <= b < 127 and b not in (34, 92) else f"\\{b:03d}" for b in value.encode())
        + '"'
    )


def write_script(endpoint: Endpoint, directory: Path) -> Path:
    headers = "\n".join(
        f"wrk.headers[{lua_string(name)}] = {lua_string(value)}"
        for name, value in {**endpoint.headers, "Connection": "close"}.items()
    )
    script = directory / f"{re.sub(r'[^a-z0-9]+', '_', endpoint.label.lower())}.lua"
    script.write_text(
        LUA_TEMPLATE
        % {"method": lua_string(endpoint.method), "body": lua_string(endpoint.body), "headers": headers}
    )
    return script


def run_wrk(
    port: int, endpoint: Endpoint, script: Path, duration: float, connections: int, threads: int
) -> Result:
    completed = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{max(1, round(duration))}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}{endpoint.path}",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    line = next((ln for ln in completed.stdout.splitlines() if ln.startswith("BENCH ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed for {endpoint.label}:\n{completed.stdout}\n{completed.stderr}")
    data = json.loads(line[len("BENCH ") :])
    return Result(
        rps=data["requests"] / (data["duration_us"] / 1e6),
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
        non2xx=data["non2xx"],
        first_bad=data["first_bad"],
        socket_errors={k: data[k] for k in ("connect", "read", "write", "timeout")},
    )


def load_data() -> dict[str, str]:
    """Demo data, the tracking rate limit lifted; returns what the endpoints need (codes, phone)."""
    from django.core.management import call_command

    from jiedao.applications import demo as applications_demo
    from jiedao.applications import services
    from jiedao.applications.models import Application
    from jiedao.catalog import selectors
    from jiedao.parameters.models import SystemParameter
    from jiedao.parameters.services import clear_cache

    started = time.perf_counter()
    with open(os.devnull, "w") as devnull:
        call_command("demo", stdout=devnull)
    print(f"demo data loaded in {time.perf_counter() - started:.1f} s", flush=True)
    # Above the declared maximum (1000) on purpose: a benchmark from one address must not be refused.
    SystemParameter.objects.update_or_create(key="applications.track_limit", defaults={"value": 10_000_000})
    clear_cache()

    application = Application.objects.select_related("item").order_by("id").first()
    if application is None:
        sys.exit("no demo application was created; cannot benchmark the tracking lookup")
    phone = applications_demo.DEMO_PHONE
    services.application_track(code=application.tracking_code, phone=phone, ip="127.0.0.9")  # must not raise
    items = selectors.search_items()
    item = application.item if application.item.is_published else items[0]
    print(
        f"{len(items)} published items, {selectors.current_announcements().count()} current announcements; "
        f"guide page {item.code}; tracking code {application.tracking_code}"
    )
    return {"tracking_code": application.tracking_code, "phone": phone, "item_code": item.code}


def csrf_pair(port: int) -> tuple[str, str]:
    """(csrftoken cookie, form token) from one GET of the tracking page, as a browser would get them."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/hall/track/")
    response = conn.getresponse()
    html = response.read().decode()
    cookie = next(
        (
            morsel.split(";", 1)[0].split("=", 1)[1]
            for morsel in response.headers.get_all("Set-Cookie") or []
            if morsel.startswith("csrftoken=")
        ),
        None,
    )
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    if response.status != 200 or cookie is None or match is None:
        raise RuntimeError(f"/hall/track/ GET: status {response.status}, no CSRF cookie or token")
    return cookie, match.group(1)


def check(port: int, endpoint: Endpoint, expect: str | None) -> None:
    """One request before the load: a 2xx, and (for the lookups) a found application in the answer."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(endpoint.method, endpoint.path, body=endpoint.body, headers=endpoint.headers)
    response = conn.getresponse()
    body = response.read().decode(errors="replace")
    if not 200 <= response.status < 300 or (expect and expect not in body):
        raise RuntimeError(
            f"{endpoint.label}: status {response.status}, expected text found: {bool(expect and expect in body)}"
            f"\n{body[:800]}"
        )


def endpoints_for(data: dict[str, str], port: int) -> list[tuple[Endpoint, str | None]]:
    code, phone = data["tracking_code"], data["phone"]
    cookie, token = csrf_pair(port)
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "code": code, "phone": phone})
    return [
        (Endpoint("/healthz (floor)", "/healthz", target=False), None),
        (Endpoint("/ public home", "/"), None),
        (Endpoint("/guide/ catalog", "/guide/"), None),
        (Endpoint("/guide/?audience=person", "/guide/?audience=person"), None),
        (Endpoint("/guide/?q=低保 search", "/guide/?" + urllib.parse.urlencode({"q": "低保"})), None),
        (Endpoint("/guide/<code>/ guide page", f"/guide/{data['item_code']}/"), None),
        (
            Endpoint(
                "POST /hall/track/ (no-script form)",
                "/hall/track/",
                "POST",
                form,
                {"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={cookie}"},
            ),
            'data-testid="status"',  # the result card (the page does not echo the code)
        ),
        (
            Endpoint(
                "POST /api/v1/public/track/ (page)",
                "/api/v1/public/track/",
                "POST",
                json.dumps({"code": code, "phone": phone}),
                {"Content-Type": "application/json"},
            ),
            code,
        ),
    ]


def bench_config(
    env: dict[str, str], data: dict[str, str], workers: int, args: argparse.Namespace, scripts: Path
) -> list[tuple[Endpoint, Result, Result]]:
    """Each endpoint right after a run of the floor: its ratio is to that floor, so a machine whose speed
    drifts during the run (other tenants, thermal limits) does not tilt the ratios of later endpoints."""
    results = []
    with gunicorn(env, workers=workers, threads=args.server_threads) as port:
        endpoints = endpoints_for(data, port)
        for endpoint, expect in endpoints:
            check(port, endpoint, expect)
        floor = next(endpoint for endpoint, _expect in endpoints if not endpoint.target)
        floor_script = write_script(floor, scripts)
        run_wrk(port, floor, floor_script, 1, workers * 2, 1)  # warm every worker (templates, connections)
        for endpoint, _expect in endpoints:
            if not endpoint.target or (args.only and args.only not in endpoint.label):
                continue
            script = write_script(endpoint, scripts)
            run_wrk(port, endpoint, script, 1, workers * 2, 1)
            floor_result = run_wrk(port, floor, floor_script, args.duration, args.connections, args.threads)
            result = run_wrk(port, endpoint, script, args.duration, args.connections, args.threads)
            results.append((endpoint, result, floor_result))
            print(
                f"  {endpoint.label:<30} {result.rps:8.0f} req/s  p99 {result.p99_ms:7.1f} ms  "
                f"non-2xx {result.non2xx}   (floor just before: {floor_result.rps:.0f} req/s)",
                flush=True,
            )
    return results


def print_table(database: str, workers: int, args: argparse.Namespace, results) -> None:
    print(
        f"\n{database}, gunicorn --workers {workers} --threads {args.server_threads} "
        f"({'sync' if args.server_threads == 1 else 'gthread'}), production settings; "
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s; each endpoint right after a floor run"
    )
    header = (
        f"{'endpoint':<30} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} "
        f"{'non-2xx':>8} {'sock err':>9} {'floor':>7} {'ratio':>7}  target ≥ {TARGET_RATIO:.0%}"
    )
    print(header)
    print("-" * len(header))
    for endpoint, r, floor in results:
        socket_errors = sum(r.socket_errors.values()) + sum(floor.socket_errors.values())
        ratio = r.rps / floor.rps
        if ratio >= TARGET_RATIO and r.non2xx == 0 and floor.non2xx == 0 and socket_errors == 0:
            verdict = "meets"
        else:
            verdict = "MISSES"
        bad = f" (first {r.first_bad})" if r.non2xx else ""
        detail = " " + ",".join(f"{k} {v}" for k, v in r.socket_errors.items() if v) if socket_errors else ""
        print(
            f"{endpoint.label:<30} {r.rps:8.0f} {r.p50_ms:8.1f} {r.p99_ms:8.1f} {r.max_ms:8.1f} "
            f"{r.non2xx:8d} {socket_errors:9d} {floor.rps:7.0f} {ratio:7.0%}  {verdict}{bad}{detail}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--duration", type=int, default=10, help="seconds per endpoint (default 10)")
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument(
        "--workers", default="2,4", help="comma-separated gunicorn worker counts (default 2,4)"
    )
    parser.add_argument(
        "--server-threads",
        type=int,
        default=1,
        help="threads per gunicorn worker (default 1: sync workers; docs/operations.md runs 4)",
    )
    parser.add_argument(
        "--only", default="", help="measure only the endpoints whose label contains this text"
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit(
            "wrk is not installed: this benchmark drives the load with wrk. "
            "Install it with `apt-get install -y wrk` (Debian/Ubuntu) and run again."
        )
    worker_counts = [int(w) for w in args.workers.split(",") if w.strip()]

    # The data is written with the same keys the production server reads it with (blind index of phones).
    os.environ.update(PRODUCTION_ENV)
    env = setup_django(args.database, name="jiedao_bench_public")
    env.update(PRODUCTION_ENV)
    env["DJANGO_SETTINGS_MODULE"] = "jiedao.settings.production"
    # Production serves hashed static names from a manifest: collect into a throwaway root like a deploy does.
    env["JIEDAO_STATIC_ROOT"] = tempfile.mkdtemp(prefix="jiedao-bench-static-")
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=Path(__file__).resolve().parent.parent,
        env={**os.environ, **env},
        check=True,
    )
    data = load_data()

    from django.db import connection

    connection.close()  # do not hold the SQLite file (or a PostgreSQL session) open during the load
    scripts = Path(tempfile.mkdtemp(prefix="jiedao-bench-wrk-"))
    tables = []
    for workers in worker_counts:
        print(f"\ngunicorn --workers {workers}:", flush=True)
        tables.append((workers, bench_config(env, data, workers, args, scripts)))
    for workers, results in tables:
        print_table(args.database, workers, args, results)


if __name__ == "__main__":
    main()
