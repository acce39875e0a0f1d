import pytest
from rest_framework.test import APIClient

from jiedao.audit.models import AuditEvent
from jiedao.core.testing import api_client_for, make_user
from jiedao.parameters.registry import MANAGE_SECURITY_POLICY, MANAGE_SYSTEM, VIEW
from jiedao.parameters.services import get_parameter

pytestmark = pytest.mark.django_db

KEY = "password.min_length"
URL = f"/api/v1/parameters/{KEY}/"


@pytest.fixture
def manager(tree):
    return make_user(tree.district, VIEW, MANAGE_SYSTEM, MANAGE_SECURITY_POLICY)


def changes():
    return AuditEvent.objects.filter(event_name="parameters.parameter.changed")


def test_list_has_key_label_value_and_default(manager):
    response = api_client_for(manager).get("/api/v1/parameters/")
    assert response.status_code == 200
    row = next(r for r in response.json() if r["key"] == KEY)
    assert row["label"] == "密码最小长度"
    assert (row["value"], row["default"], row["is_default"], row["editable"]) == (8, 8, True, True)
    assert (row["kind"], row["minimum"], row["maximum"]) == ("int", 8, 64)


def test_reading_needs_the_view_permission(tree):
    response = api_client_for(make_user(tree.district)).get("/api/v1/parameters/")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert APIClient().get("/api/v1/parameters/").status_code in (401, 403)


def test_patch_changes_the_value_and_is_audited(manager):
    response = api_client_for(manager).patch(URL, {"value": 10}, format="json")
    assert response.status_code == 200
    assert (response.json()["value"], response.json()["is_default"]) == (10, False)
    assert get_parameter(KEY) == 10
    event = changes().get()
    assert (event.before, event.after) == ({KEY: 8}, {KEY: 10})
    assert api_client_for(manager).get(URL).json()["value"] == 10


@pytest.mark.parametrize(
    ("value", "message"), [(4, "不能小于 8。"), ("abc", "请输入数字。"), (True, "请输入数字。")]
)
def test_invalid_value_is_a_json_error_and_nothing_changes(manager, value, message):
    response = api_client_for(manager).patch(URL, {"value": value}, format="json")
    assert response.status_code == 400
    assert response.json() == {"code": "invalid", "detail": message, "errors": {"value": [message]}}
    assert get_parameter(KEY) == 8
    assert not changes().exists()


def test_missing_value(manager):
    response = api_client_for(manager).patch(URL, {}, format="json")
    assert response.status_code == 400
    assert "value" in response.json()["errors"]


def test_patch_needs_the_manage_permission(tree):
    viewer = make_user(tree.district, VIEW)
    response = api_client_for(viewer).patch(URL, {"value": 10}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert get_parameter(KEY) == 8
    assert not changes().exists()


def test_unknown_key_and_put(manager):
    client = api_client_for(manager)
    assert client.get("/api/v1/parameters/no.such/").status_code == 404
    assert client.patch("/api/v1/parameters/no.such/", {"value": 1}, format="json").status_code == 404
    assert client.put(URL, {"value": 10}, format="json").status_code == 405
