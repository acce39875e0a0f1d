import os
import subprocess
import sys

import pytest
from django.db import transaction
from django.test import Client
from django_tasks import task

from jiedao.core.schedule import acquire_lease, run_due_jobs
from jiedao.core.testing import make_user

SENT: list[str] = []


@task()
def remember(value: str) -> None:
    SENT.append(value)


def test_healthz_and_readyz(db):
    client = Client()
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "migrations": "ok", "queue": "ok"}


def test_every_response_has_a_request_id_and_a_strict_csp(db):
    response = Client().get("/healthz", HTTP_X_REQUEST_ID="abcdef123456")
    assert response["X-Request-ID"] == "abcdef123456"
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert Client().get("/healthz")["X-Request-ID"] != "abcdef123456"


def test_forged_csrf_is_refused_in_chinese_and_changes_nothing(tree):
    from jiedao.core.scope import DataScope
    from jiedao.orgs.models import OrgUnit

    admin = make_user(tree.district, "orgs.add_orgunit", "orgs.view_orgunit", scope=DataScope.ALL)
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin, backend="jiedao.accounts.backends.RoleBackend")
    response = client.post(
        f"/orgs/{tree.subdistrict_a.pk}/new/",
        {"name": "伪造社区", "level": 3, "division_code": "110105001009"},
    )
    assert (
        response.status_code == 403
        and "CSRF" in response.content.decode()
        and "请刷新页面" in response.content.decode()
    )
    assert not OrgUnit.objects.filter(name="伪造社区").exists()


@pytest.mark.django_db(transaction=True)
def test_side_effects_are_enqueued_only_after_commit():
    from jiedao.core.tasks import enqueue_on_commit

    SENT.clear()
    try:
        with transaction.atomic():
            enqueue_on_commit(remember, "rolled-back")
            assert SENT == []  # not before the commit
            raise RuntimeError
    except RuntimeError:
        pass
    with transaction.atomic():
        enqueue_on_commit(remember, "kept")
        assert SENT == []
    assert SENT == ["kept"]


def test_scheduler_is_safe_to_start_twice(db):
    from datetime import timedelta

    from django.utils import timezone

    from jiedao.core import schedule

    SENT.clear()
    schedule.JOBS["test.remember"] = schedule.PeriodicJob(
        "test.remember", remember.using(), timedelta(minutes=5)
    )
    try:
        now = timezone.now()
        assert acquire_lease("host-a:1", now)
        assert not acquire_lease("host-b:2", now)
        assert run_due_jobs("host-b:2", now) == []
        assert "test.remember" in run_due_jobs("host-a:1", now)
        assert "test.remember" not in run_due_jobs("host-a:1", now + timedelta(minutes=1))
        # the first scheduler died: its lease expires and the second takes over, without a double run
        later = now + timedelta(seconds=schedule.LEASE_SECONDS + 1)
        assert "test.remember" not in run_due_jobs("host-b:2", later)
        assert "test.remember" in run_due_jobs("host-b:2", now + timedelta(minutes=6))
    finally:
        del schedule.JOBS["test.remember"]


def _settings_check(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; print(settings.SESSION_COOKIE_SECURE, settings.SECURE_HSTS_SECONDS)",
        ],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "jiedao.settings.production", **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_settings_refuse_defaults():
    refused = _settings_check({"SECRET_KEY": "", "JIEDAO_DEBUG": "0"})
    assert refused.returncode != 0 and "SECRET_KEY" in refused.stderr
    debug = _settings_check({"SECRET_KEY": "x" * 50, "JIEDAO_DEBUG": "1"})
    assert debug.returncode != 0 and "DEBUG" in debug.stderr
    no_keys = _settings_check({"SECRET_KEY": "x" * 50, "JIEDAO_DEBUG": "0", "JIEDAO_FIELD_KEYS": ""})
    assert no_keys.returncode != 0 and "JIEDAO_FIELD_KEYS" in no_keys.stderr
    keys = {
        "SECRET_KEY": "x" * 50,
        "JIEDAO_DEBUG": "0",
        "JIEDAO_FIELD_KEYS": "00" * 16,
        "JIEDAO_BLIND_INDEX_KEY": "11" * 16,
    }
    # the rating links of the SMS would point at the development address
    no_address = _settings_check({**keys, "JIEDAO_PUBLIC_URL": ""})
    assert no_address.returncode != 0 and "JIEDAO_PUBLIC_URL" in no_address.stderr
    ok = _settings_check({**keys, "JIEDAO_PUBLIC_URL": "https://zwfw.example.gov.cn"})
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.split() == ["True", str(365 * 24 * 3600)]


@pytest.mark.redis
def test_redis_task_backend_runs_a_task_in_an_rq_worker(tmp_path):
    """Production queue: the same task through django-tasks-rq on the local Redis, run by a burst worker."""
    script = tmp_path / "rq_roundtrip.py"
    script.write_text(
        "import django, os, sys\n"
        "django.setup()\n"
        "from django_tasks import task_backends\n"
        "from tests.rq_task import write_marker\n"
        "result = write_marker.enqueue(sys.argv[1])\n"
        "import django_rq\n"
        "from django_tasks_rq import Job\n"
        "worker = django_rq.get_worker('default', job_class=Job)\n"
        "worker.work(burst=True)\n"
        "result.refresh()\n"
        "print(result.status)\n"
    )
    marker = tmp_path / "marker.txt"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "jiedao.settings.dev",
        "JIEDAO_TASKS_BACKEND": "django_tasks_rq.RQBackend",
        "JIEDAO_REDIS_URL": "redis://127.0.0.1:6379/15",
        "JIEDAO_VAR_DIR": str(tmp_path / "var"),
        "PYTHONPATH": os.getcwd(),
    }
    done = subprocess.run(
        [sys.executable, str(script), str(marker)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("SUCCESSFUL")
    assert marker.read_text() == "done"
