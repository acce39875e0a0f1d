from datetime import timedelta

import pyotp
import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from jiedao.accounts.choices import AdminDuty
from jiedao.accounts.models import LoginAttempt
from jiedao.audit.models import AuditEvent
from jiedao.core.scope import DataScope
from jiedao.core.testing import TEST_PASSWORD, make_user


def login(client, username, password, ip="10.0.0.1"):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_login_succeeds_logs_and_audits(tree):
    user = make_user(tree.community_a1, "orgs.view_orgunit", username="zhangsan")
    client = Client()
    response = login(client, "zhangsan", TEST_PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/workbench/"
    home = client.get("/workbench/")
    assert "甲一社区" in home.content.decode()
    attempt = LoginAttempt.objects.get(username="zhangsan")
    assert attempt.success and attempt.ip == "10.0.0.1"
    assert AuditEvent.objects.filter(event_name="accounts.login.succeeded", actor=user).exists()


def test_wrong_password_gives_one_chinese_message_for_unknown_and_known_users(tree):
    make_user(tree.community_a1, username="lisi")
    client = Client()
    known = login(client, "lisi", "wrong-Passw0rd!").content.decode()
    unknown = login(client, "nobody", "wrong-Passw0rd!").content.decode()
    assert "用户名或密码错误" in known and "用户名或密码错误" in unknown
    assert AuditEvent.objects.filter(event_name="accounts.login.failed", success=False).count() == 2


def test_five_failures_lock_the_account_for_fifteen_minutes(tree):
    make_user(tree.community_a1, username="wangwu")
    client = Client()
    for n in range(5):
        login(client, "wangwu", "wrong-Passw0rd!", ip=f"10.0.1.{n}")
    response = login(client, "wangwu", TEST_PASSWORD, ip="10.0.2.1")
    assert "账号已锁定" in response.content.decode() and "15 分钟" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # after the lockout window the right password works again
    LoginAttempt.objects.update(created_at=timezone.now() - timedelta(minutes=16))
    assert login(client, "wangwu", TEST_PASSWORD, ip="10.0.2.1").status_code == 302


def test_failures_from_one_address_lock_that_address_for_every_account(tree):
    make_user(tree.community_a1, username="victim")
    client = Client()
    for n in range(5):
        login(client, f"guess{n}", "wrong-Passw0rd!", ip="10.9.9.9")
    assert "账号已锁定" in login(client, "victim", TEST_PASSWORD, ip="10.9.9.9").content.decode()
    assert login(client, "victim", TEST_PASSWORD, ip="10.9.9.10").status_code == 302


def test_disabled_account_cannot_log_in(tree):
    user = make_user(tree.community_a1, username="gone")
    user.is_active = False
    user.save()
    response = login(Client(), "gone", TEST_PASSWORD)
    assert response.status_code == 200 and "账号已停用" in response.content.decode()


def test_idle_session_expires(tree):
    make_user(tree.community_a1, "orgs.view_orgunit", username="idle")
    client = Client()
    login(client, "idle", TEST_PASSWORD)
    assert client.get("/workbench/").status_code == 200
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get("/workbench/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_each_request_extends_the_idle_window(tree, settings):
    make_user(tree.community_a1, username="busy")
    client = Client()
    login(client, "busy", TEST_PASSWORD)
    Session.objects.update(expire_date=timezone.now() + timedelta(seconds=5))
    client.get("/workbench/")
    remaining = Session.objects.get().expire_date - timezone.now()
    assert remaining > timedelta(seconds=settings.SESSION_COOKIE_AGE - 60)


def test_logout_is_audited_and_ends_the_session(tree):
    user = make_user(tree.community_a1, username="leaving")
    client = Client()
    login(client, "leaving", TEST_PASSWORD)
    client.post("/accounts/logout/")
    assert client.get("/workbench/").status_code == 302
    assert AuditEvent.objects.filter(event_name="accounts.logout", actor=user).exists()


@pytest.fixture
def sysadmin(tree):
    return make_user(
        tree.district, "accounts.view_user", scope=DataScope.ALL, username="sys", admin_duty=AdminDuty.SYSTEM
    )


def test_admin_must_enrol_totp_before_getting_in(sysadmin):
    client = Client()
    response = login(client, "sys", TEST_PASSWORD)
    assert response["Location"] == "/accounts/two-factor/"
    assert client.get("/workbench/").status_code == 302  # not logged in yet
    page = client.get("/accounts/two-factor/").content.decode()
    assert "管理员账号必须绑定动态口令" in page
    secret = client.session["pending_totp_secret"]
    wrong = client.post("/accounts/two-factor/", {"code": "000000"}).content.decode()
    assert "动态口令不正确" in wrong
    ok = client.post("/accounts/two-factor/", {"code": pyotp.TOTP(secret).now()})
    assert ok.status_code == 302
    assert client.get("/workbench/").status_code == 200
    sysadmin.refresh_from_db()
    assert sysadmin.totp_confirmed and sysadmin.totp_secret == secret


def test_enrolled_admin_needs_the_current_code_and_wrong_codes_count_towards_lockout(sysadmin):
    sysadmin.totp_secret = pyotp.random_base32()
    sysadmin.totp_confirmed = True
    sysadmin.save()
    client = Client()
    login(client, "sys", TEST_PASSWORD)
    for _ in range(4):
        client.post("/accounts/two-factor/", {"code": "123456"})
    last = client.post("/accounts/two-factor/", {"code": "654321"})
    assert "动态口令不正确" in last.content.decode()
    locked = client.post("/accounts/two-factor/", {"code": pyotp.TOTP(sysadmin.totp_secret).now()})
    assert locked.status_code in (200, 302)
    assert client.get("/workbench/").status_code == 302


def test_totp_secret_is_encrypted_at_rest(sysadmin):
    from django.db import connection

    sysadmin.totp_secret = "JBSWY3DPEHPK3PXP"
    sysadmin.save()
    with connection.cursor() as cursor:
        cursor.execute("SELECT totp_secret FROM accounts_user WHERE id = %s", [sysadmin.pk])
        stored = cursor.fetchone()[0]
    assert stored.startswith("sm4g:") and "JBSWY3DPEHPK3PXP" not in stored


def test_any_user_may_choose_two_factor_and_then_needs_it(tree):
    user = make_user(tree.community_a1, "orgs.view_orgunit", username="careful")
    client = Client()
    login(client, "careful", TEST_PASSWORD)
    assert "绑定动态口令" in client.get("/workbench/").content.decode()
    client.get("/accounts/two-factor/setup/")
    secret = client.session["pending_totp_secret"]
    assert "动态口令不正确" in client.post("/accounts/two-factor/setup/", {"code": "000000"}).content.decode()
    assert client.post("/accounts/two-factor/setup/", {"code": pyotp.TOTP(secret).now()}).status_code == 302
    user.refresh_from_db()
    assert user.totp_confirmed
    fresh = Client()
    assert login(fresh, "careful", TEST_PASSWORD)["Location"] == "/accounts/two-factor/"
    assert fresh.get("/workbench/").status_code == 302
    fresh.post("/accounts/two-factor/", {"code": pyotp.TOTP(secret).now()})
    assert fresh.get("/workbench/").status_code == 200
