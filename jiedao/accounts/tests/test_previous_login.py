"""The workbench tells a user when and from where they last signed in, and how many attempts with their name
failed since: the login of the current session is not "the last login"."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from jiedao.accounts.models import LoginAttempt
from jiedao.accounts.tests.test_login import login
from jiedao.core.testing import TEST_PASSWORD, make_user

pytestmark = pytest.mark.django_db


def account_panel(client) -> str:
    page = client.get("/workbench/").content.decode()
    start = page.index("上次登录")
    text = page[start : page.index("<", start)]
    return text.split("；密码有效期")[0].split("；可绑定动态口令")[0]  # the login part of the account panel


def test_first_login_says_so_then_the_previous_login_and_failures_since_show(tree):
    make_user(tree.community_a1, username="zhaoliu")
    first = Client()
    assert login(first, "zhaoliu", TEST_PASSWORD, ip="10.0.0.7").status_code == 302
    assert account_panel(first) == "上次登录：首次登录"

    LoginAttempt.objects.update(created_at=timezone.now() - timedelta(days=1))
    previous = LoginAttempt.objects.get(username="zhaoliu")
    login(Client(), "zhaoliu", "wrong-Passw0rd!", ip="10.6.6.6")  # somebody guessing the password
    second = Client()
    assert login(second, "zhaoliu", TEST_PASSWORD, ip="10.0.0.8").status_code == 302
    shown = timezone.localtime(previous.created_at).strftime("%Y-%m-%d %H:%M")
    assert account_panel(second) == (
        f"上次登录：{shown}（IP 10.0.0.7）；此后有 1 次登录失败，如非本人操作请立即修改密码"
    )

    third = Client()
    assert login(third, "zhaoliu", TEST_PASSWORD, ip="10.0.0.9").status_code == 302
    assert "（IP 10.0.0.8）" in account_panel(third) and "登录失败" not in account_panel(third)
