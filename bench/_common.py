"""Shared helpers for the benchmarks: a throwaway database, peak memory, percentiles, a server process.

Benchmarks print figures and a ratio against a floor measured in the same run; they assert nothing.
"""

from __future__ import annotations

import http.client
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup_django(database: str = "sqlite", name: str = "jiedao_bench") -> dict[str, str]:
    """Point Django at a fresh database (a temp SQLite file, or a new PostgreSQL database) and migrate.

    Returns the environment a server subprocess needs to use the same database.
    """
    env: dict[str, str] = {"DJANGO_SETTINGS_MODULE": "jiedao.settings.dev", "JIEDAO_DEBUG": "0"}
    var_dir = tempfile.mkdtemp(prefix="jiedao-bench-")
    env["JIEDAO_VAR_DIR"] = var_dir
    if database == "postgresql":
        subprocess.run(
            [
                "psql",
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-qc",
                f"DROP DATABASE IF EXISTS {name}",
                "postgres",
            ],
            check=True,
        )
        subprocess.run(
            [
                "createdb",
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "--template=template0",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                name,
            ],
            check=True,
        )
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{name}"
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return env


def reuse_django(database: str, where: str) -> dict[str, str]:
    """Point Django at a kept build instead of a fresh one (`--reuse`): the SQLite file's directory, or the
    PostgreSQL database named `where`, migrated to this checkout (new indexes). Returns the environment a
    server subprocess needs."""
    env = {"DJANGO_SETTINGS_MODULE": "jiedao.settings.dev", "JIEDAO_DEBUG": "0"}
    if database == "postgresql":
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{where}"
        env["JIEDAO_VAR_DIR"] = tempfile.mkdtemp(prefix="jiedao-bench-")
    else:
        os.environ.pop("DATABASE_URL", None)
        env["JIEDAO_VAR_DIR"] = where
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return env


def analyse() -> None:
    """Planner statistics, as production keeps them (an import's `PRAGMA optimize`, the scheduler's
    `optimize_database`); on PostgreSQL also the visibility map autovacuum keeps (index-only scans)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def plain_static_files() -> None:
    """The test client renders templates: without `collectstatic` the manifest storage has no entries."""
    from django.conf import settings

    backend = "django.contrib.staticfiles.storage.StaticFilesStorage"
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": backend}}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def summary_ms(samples: list[float]) -> str:
    return (
        f"p50 {statistics.median(samples) * 1000:7.2f} ms   p95 {percentile(samples, 95) * 1000:7.2f} ms   "
        f"n={len(samples)}"
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(env: dict[str, str], workers: int = 2, threads: int = 1):
    """The production server configuration (WSGI, gunicorn sync workers), on a free local port."""
    port = free_port()
    process = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "jiedao.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        # Bound is not ready: wait until a worker has loaded the app and answers /healthz.
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def timed(fn, *args, **kwargs) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


def client_for(username: str):
    """A test client signed in as a staff user, past the administrators' TOTP step."""
    from django.test import Client

    from jiedao.accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username=username), backend="jiedao.accounts.backends.RoleBackend")
    session = client.session
    session["second_factor_done"] = True
    session.save()
    return client


def replay(statements: list[str]) -> float:
    """The floor of a page: its SELECTs again on a raw cursor (no ORM, no template), in seconds."""
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
            cursor.fetchall()
    return time.perf_counter() - started
