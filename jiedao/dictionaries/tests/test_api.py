import pytest
from rest_framework.test import APIClient

from jiedao.core.testing import api_client_for, make_user
from jiedao.dictionaries.models import DictionaryItem
from jiedao.dictionaries.standard_data import ETHNICITY, RELATION

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(tree):
    """Any signed-in user, without any permission, may read dictionaries."""
    return api_client_for(make_user(tree.grid_a1))


def test_type_list(client):
    response = client.get("/api/v1/dictionaries/")
    assert response.status_code == 200
    rows = {row["code"]: row for row in response.json()}
    assert rows[ETHNICITY]["name"] == "民族"
    assert rows[ETHNICITY]["standard"] == "GB/T 3304-1991"
    assert rows[ETHNICITY]["active_count"] == 58
    assert rows[RELATION]["is_builtin"] is True


def test_type_detail_and_unknown_type(client):
    assert client.get(f"/api/v1/dictionaries/{RELATION}/").json()["name"] == "与户主关系"
    response = client.get("/api/v1/dictionaries/nope/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert client.get("/api/v1/dictionaries/nope/items/").status_code == 404


def test_items_in_order_and_inactive_only_on_request(client):
    DictionaryItem.objects.filter(type__code=ETHNICITY, code="98").update(is_active=False)
    items = client.get(f"/api/v1/dictionaries/{ETHNICITY}/items/").json()
    assert items[0] == {
        "code": "01",
        "name": "汉族",
        "abbreviation": "HA",
        "extra": {"roman": "Han"},
        "sort_order": 10,
        "is_active": True,
    }
    assert items[55]["name"] == "基诺族"
    assert "98" not in {i["code"] for i in items}
    everything = client.get(f"/api/v1/dictionaries/{ETHNICITY}/items/?include_inactive=true").json()
    assert {"code": "98", "is_active": False}.items() <= next(
        i for i in everything if i["code"] == "98"
    ).items()


def test_relation_items(client):
    codes = {i["code"]: i["name"] for i in client.get(f"/api/v1/dictionaries/{RELATION}/items/").json()}
    assert codes["02"] == "户主" and codes["10"] == "配偶"


def test_anonymous_is_refused():
    assert APIClient().get("/api/v1/dictionaries/").status_code in (401, 403)


def test_api_is_read_only_even_for_the_admin(tree):
    admin = make_user(
        tree.district,
        "dictionaries.view_dictionaryitem",
        "dictionaries.add_dictionaryitem",
        "dictionaries.change_dictionaryitem",
    )
    client = api_client_for(admin)
    assert client.post("/api/v1/dictionaries/", {"code": "x", "name": "x"}, format="json").status_code == 405
    assert (
        client.post(f"/api/v1/dictionaries/{ETHNICITY}/items/", {"code": "99"}, format="json").status_code
        == 405
    )
    assert client.patch(f"/api/v1/dictionaries/{ETHNICITY}/", {"name": "x"}, format="json").status_code == 405
    assert client.delete(f"/api/v1/dictionaries/{ETHNICITY}/").status_code == 405
