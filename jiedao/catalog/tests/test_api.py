"""/api/v1/service-items/ (staff, scoped, through the services) and /api/v1/public/service-items/."""

import pytest
from rest_framework.test import APIClient

from jiedao.catalog.models import ServiceItem
from jiedao.catalog.tests.factories import item_data, make_item, make_material
from jiedao.core.testing import ScopedModelContract, api_client_for, make_user

ALL = (
    "catalog.view_serviceitem",
    "catalog.add_serviceitem",
    "catalog.change_serviceitem",
    "catalog.publish_serviceitem",
    "catalog.delete_serviceitem",
)


class TestServiceItemScope(ScopedModelContract):
    view_permission = "catalog.view_serviceitem"
    api_list_url = "/api/v1/service-items/"

    def make_object(self, org):
        return make_item(org)

    def detail_url(self, obj):
        return f"/catalog/items/{obj.pk}/"

    def api_detail_url(self, obj):
        return f"/api/v1/service-items/{obj.pk}/"


def test_create_update_publish_delete_through_the_api(tree):
    client = api_client_for(make_user(tree.subdistrict_a, *ALL))
    payload = item_data(code="API-001", org=tree.community_a1.pk)
    response = client.post("/api/v1/service-items/", payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["code"] == "API-001" and body["is_published"] is False and body["org_name"] == "甲一社区"
    pk = body["id"]
    response = client.patch(f"/api/v1/service-items/{pk}/", {"promised_limit_days": 40}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["promised_limit_days"] == [
        "承诺时限（40 个工作日）不能超过法定时限（30 个工作日）。"
    ]
    assert ServiceItem.objects.get(pk=pk).promised_limit_days == 20
    response = client.patch(f"/api/v1/service-items/{pk}/", {"name": "接口改名"}, format="json")
    assert response.status_code == 200 and response.json()["name"] == "接口改名"
    response = client.post(f"/api/v1/service-items/{pk}/publish/")
    assert response.status_code == 400  # an online item lists its materials first
    assert response.json()["errors"]["materials"] == ["可网上申请的事项须至少登记一项申请材料后才能发布。"]
    make_material(ServiceItem.objects.get(pk=pk))
    assert client.post(f"/api/v1/service-items/{pk}/publish/").json()["is_published"] is True
    assert client.delete(f"/api/v1/service-items/{pk}/").status_code == 400  # published
    assert client.post(f"/api/v1/service-items/{pk}/unpublish/").json()["is_published"] is False
    assert client.delete(f"/api/v1/service-items/{pk}/").status_code == 204
    assert not ServiceItem.objects.filter(pk=pk).exists()


def test_api_validation_is_chinese_and_saves_nothing(tree):
    client = api_client_for(make_user(tree.subdistrict_a, *ALL))
    existing = make_item(tree.subdistrict_a)
    payload = item_data(code=existing.code, org=tree.subdistrict_a.pk, statutory_limit_days=3)
    response = client.post("/api/v1/service-items/", payload, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors["code"] == [f"事项编码 {existing.code} 已被其他事项使用。"]
    assert "不能超过法定时限" in errors["promised_limit_days"][0]
    assert ServiceItem.objects.count() == 1


def test_api_permissions_and_scope(tree):
    viewer = api_client_for(make_user(tree.subdistrict_a, "catalog.view_serviceitem"))
    assert (
        viewer.post("/api/v1/service-items/", item_data(org=tree.subdistrict_a.pk), format="json").status_code
        == 403
    )
    item = make_item(tree.subdistrict_a)
    assert viewer.post(f"/api/v1/service-items/{item.pk}/publish/").status_code == 403
    community = api_client_for(make_user(tree.community_a1, *ALL))
    other = make_item(tree.subdistrict_b)
    assert (
        community.patch(f"/api/v1/service-items/{other.pk}/", {"name": "x"}, format="json").status_code == 404
    )
    assert community.post(f"/api/v1/service-items/{other.pk}/unpublish/").status_code == 404
    response = community.post("/api/v1/service-items/", item_data(org=tree.community_b1.pk), format="json")
    assert response.status_code == 404
    assert APIClient().get("/api/v1/service-items/").status_code == 401


@pytest.fixture
def published(tree):
    item = make_item(tree.subdistrict_a, code="PUB-001", name="公开事项", life_events=["elderly"])
    make_material(item, name="身份证")
    offline = make_item(
        tree.subdistrict_b, code="PUB-002", name="窗口事项", availability="offline", process_key=""
    )
    draft = make_item(tree.subdistrict_a, code="DRAFT-001", name="草稿事项", published=False)
    return item, offline, draft


def test_public_api_needs_no_auth_and_shows_only_published(published):
    item, offline, draft = published
    client = APIClient()
    response = client.get("/api/v1/public/service-items/")
    assert response.status_code == 200
    codes = [row["code"] for row in response.json()["results"]]
    assert codes == ["PUB-001", "PUB-002"]
    detail = client.get("/api/v1/public/service-items/PUB-001/").json()
    assert detail["materials"][0]["name"] == "身份证"
    assert detail["apply_url"] == f"/hall/me/apply/{item.pk}/" and detail["legal_basis"]
    following = client.get(detail["apply_url"])  # a real page: anonymous visitors are asked to sign in
    assert following.status_code == 302 and following["Location"].startswith("/hall/account/login/?next=")
    assert "process_key" not in detail and "id" not in detail
    assert client.get("/api/v1/public/service-items/PUB-002/").json()["apply_url"] is None
    assert client.get("/api/v1/public/service-items/DRAFT-001/").status_code == 404
    assert [
        r["code"] for r in client.get("/api/v1/public/service-items/?event=elderly").json()["results"]
    ] == ["PUB-001"]
    assert client.get("/api/v1/public/service-items/?q=草稿").json()["count"] == 0


def test_public_api_is_read_only_and_ignores_credentials(published, tree):
    client = APIClient()
    assert client.post("/api/v1/public/service-items/", {"code": "X"}, format="json").status_code == 405
    assert client.delete("/api/v1/public/service-items/PUB-001/").status_code == 405
    # A bad token is not even looked at: the endpoint has no authentication.
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert client.get("/api/v1/public/service-items/").status_code == 200
