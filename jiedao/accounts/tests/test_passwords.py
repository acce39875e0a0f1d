from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from jiedao.accounts import services
from jiedao.audit.models import AuditEvent
from jiedao.core.exceptions import ValidationFailed
from jiedao.core.testing import TEST_PASSWORD, client_for, make_user
from jiedao.parameters.models import SystemParameter


@pytest.mark.parametrize(
    ("password", "message"),
    [("Ab1!", "至少 8 位"), ("abcdefgh1", "至少 3 类"), ("ABCDEFGHIJ", "至少 3 类")],
)
def test_weak_passwords_are_refused_with_the_rule(tree, password, message):
    user = make_user(tree.community_a1)
    with pytest.raises(ValidationFailed) as error:
        services.password_change(user=user, old_password=TEST_PASSWORD, new_password=password)
    assert any(message in m for m in error.value.errors["new_password"])
    user.refresh_from_db()
    assert user.check_password(TEST_PASSWORD)


def test_last_five_passwords_cannot_be_reused(tree):
    user = make_user(tree.community_a1)
    history = [TEST_PASSWORD]
    for n in range(5):
        new = f"Fresh-Passw0rd-{n}"
        services.password_change(user=user, old_password=history[-1], new_password=new)
        history.append(new)
    for old in history[-5:]:
        with pytest.raises(ValidationFailed) as error:
            services.password_change(user=user, old_password=history[-1], new_password=old)
        assert "最近 5 次" in error.value.errors["new_password"][0]
    services.password_change(
        user=user, old_password=history[-1], new_password=history[0]
    )  # 6th back is allowed
    assert AuditEvent.objects.filter(event_name="accounts.password.changed", actor=user).count() == 6


def test_policy_is_configurable(tree):
    SystemParameter.objects.create(key="password.min_length", value=12)
    user = make_user(tree.community_a1)
    with pytest.raises(ValidationFailed) as error:
        services.password_change(user=user, old_password=TEST_PASSWORD, new_password="Abcdef-123")
    assert "至少 12 位" in error.value.errors["new_password"][0]


def test_expired_password_must_be_changed_before_anything_else(tree):
    user = make_user(tree.community_a1, "orgs.view_orgunit")
    user.password_changed_at = timezone.now() - timedelta(days=91)
    user.save()
    client = client_for(user)
    response = client.get("/orgs/")
    assert response.status_code == 302 and response["Location"] == "/accounts/password/"
    page = client.get("/accounts/password/").content.decode()
    assert "密码已过期" in page
    client.post(
        "/accounts/password/",
        {
            "old_password": TEST_PASSWORD,
            "new_password": "Brand-New-Pass9",
            "new_password_again": "Brand-New-Pass9",
        },
    )
    assert client.get("/orgs/").status_code == 200


def test_password_form_reports_mismatch_and_wrong_old_password(tree):
    user = make_user(tree.community_a1)
    client = client_for(user)
    page = client.post(
        "/accounts/password/",
        {"old_password": "nope", "new_password": "Brand-New-Pass9", "new_password_again": "Brand-New-Pass8"},
    ).content.decode()
    assert "两次输入的新密码不一致" in page
    page = client.post(
        "/accounts/password/",
        {"old_password": "nope", "new_password": "Brand-New-Pass9", "new_password_again": "Brand-New-Pass9"},
    ).content.decode()
    assert "原密码不正确" in page


def test_passwords_are_stored_with_argon2(tree):
    user = make_user(tree.community_a1)
    assert user.password.startswith("argon2$")


def test_new_user_must_change_the_initial_password(tree):
    from jiedao.core.scope import DataScope

    admin = make_user(tree.district, "accounts.add_user", "accounts.view_user", scope=DataScope.ALL)
    services.user_create(
        actor=admin, data=services.UserData("newbie", "新同事", tree.community_a1), password="Initial-Pass1"
    )
    client = Client()
    client.post("/accounts/login/", {"username": "newbie", "password": "Initial-Pass1"})
    assert client.get("/workbench/")["Location"] == "/accounts/password/"
