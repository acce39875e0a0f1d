from rest_framework.test import APIClient

from jiedao.accounts.models import LoginAttempt
from jiedao.core.testing import TEST_PASSWORD, make_user


def test_token_with_username_and_password_then_scoped_calls(tree):
    make_user(tree.community_a1, "orgs.view_orgunit", username="api-user")
    client = APIClient()
    response = client.post(
        "/api/v1/auth/token/", {"username": "api-user", "password": TEST_PASSWORD}, format="json"
    )
    assert response.status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    names = {row["name"] for row in client.get("/api/v1/orgs/").json()["results"]}
    assert names == {"甲一社区", "甲一第一网格"}
    assert LoginAttempt.objects.filter(username="api-user", channel="api", outcome="success").exists()


def test_wrong_password_and_lockout_apply_to_the_api(tree):
    make_user(tree.community_a1, username="api-user")
    client = APIClient()
    for _ in range(5):
        bad = client.post("/api/v1/auth/token/", {"username": "api-user", "password": "nope"}, format="json")
        assert bad.status_code == 401 and bad.json()["code"] == "authentication_failed"
    locked = client.post(
        "/api/v1/auth/token/", {"username": "api-user", "password": TEST_PASSWORD}, format="json"
    )
    assert (
        locked.status_code == 401 and locked.json()["code"] == "locked" and "锁定" in locked.json()["detail"]
    )


def test_token_of_a_disabled_or_locked_user_is_refused(tree):
    from jiedao.core.testing import api_client_for

    user = make_user(tree.community_a1, "orgs.view_orgunit", username="api-user")
    client = api_client_for(user)
    assert client.get("/api/v1/orgs/").status_code == 200
    for _ in range(5):
        APIClient().post("/api/v1/auth/token/", {"username": "api-user", "password": "nope"}, format="json")
    locked = client.get("/api/v1/orgs/")
    assert locked.status_code == 401 and "锁定" in locked.json()["detail"]
    LoginAttempt.objects.all().delete()
    user.is_active = False
    user.save()
    disabled = client.get("/api/v1/orgs/")
    assert disabled.status_code == 401 and disabled.json()["detail"]


def test_requests_without_a_token_get_a_json_error(tree):
    response = APIClient().get("/api/v1/orgs/")
    assert response.status_code in (401, 403) and response.json()["code"] == "not_authenticated"


def test_admin_accounts_get_no_api_token(tree):
    from jiedao.accounts.choices import AdminDuty

    make_user(tree.district, "accounts.view_user", username="sys", admin_duty=AdminDuty.SYSTEM)
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "sys", "password": TEST_PASSWORD}, format="json"
    )
    assert response.status_code == 403 and response.json()["code"] == "two_factor_required"
