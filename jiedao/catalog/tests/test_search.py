"""办事指南 search as residents type it: several words, words run together without spaces, and the public API
and the staff catalog list finding the same items."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from jiedao.catalog.tests.factories import make_item
from jiedao.core.testing import client_for, make_user


@pytest.fixture
def items(tree):
    org = tree.subdistrict_a
    return {
        name: make_item(org, name=name, conditions="")
        for name in ("居家养老服务补贴申请", "最低生活保障（低保）申请", "居住证办理", "老年优待证办理")
    }


def found(q: str) -> set[str]:
    html = Client().get("/guide/", {"q": q}).content.decode()
    return {
        name
        for name in ("居家养老服务补贴申请", "最低生活保障（低保）申请", "居住证办理", "老年优待证办理")
        if name in html
    }


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("低保", {"最低生活保障（低保）申请"}),  # a word in the name: the exact match alone
        ("养老补贴", {"居家养老服务补贴申请"}),  # words run together, not a substring of any name
        ("低保申请", {"最低生活保障（低保）申请"}),
        ("居住证 办理", {"居住证办理"}),  # two words, each must match
        ("居住证，办理", {"居住证办理"}),
        ("老年　优待", {"老年优待证办理"}),  # a full-width space
        ("护照", set()),
    ],
)
def test_the_guide_finds_what_residents_type(items, q, expected):
    assert found(q) == expected


def test_a_word_found_exactly_is_not_widened_by_its_characters(items):
    # 办理 is in two names: both, and nothing that merely has 办 and 理 apart
    make_item(items["居住证办理"].org, name="理发店卫生许可代办", conditions="")
    html = Client().get("/guide/", {"q": "办理"}).content.decode()
    assert "居住证办理" in html and "老年优待证办理" in html and "理发店卫生许可代办" not in html


def test_the_public_api_and_the_staff_list_search_alike(tree, items):
    public = APIClient().get("/api/v1/public/service-items/", {"q": "养老补贴"}).json()
    rows = public["results"] if isinstance(public, dict) else public
    assert [row["name"] for row in rows] == ["居家养老服务补贴申请"]
    clerk = make_user(tree.subdistrict_a, "catalog.view_serviceitem")
    html = client_for(clerk).get("/catalog/items/", {"q": "居住证 办理"}).content.decode()
    assert "居住证办理" in html and "老年优待证办理" not in html


def test_the_guide_says_when_it_shows_names_alike_instead_of_matches(items):
    notice = "没有完全符合「养老补贴」的事项，以下是名称相近的事项。"
    html = Client().get("/guide/", {"q": "养老补贴"}).content.decode()
    assert notice in html and "居家养老服务补贴申请" in html
    exact = Client().get("/guide/", {"q": "低保"}).content.decode()
    assert "没有完全符合" not in exact
    nothing = Client().get("/guide/", {"q": "护照"}).content.decode()
    assert "没有完全符合" not in nothing and "没有找到符合条件的事项" in nothing


def test_the_guide_matches_within_the_audience_chosen(items):
    from jiedao.catalog.choices import Audience

    org = items["居住证办理"].org
    make_item(org, name="企业员工居所住址证明", conditions="", audience=Audience.ENTERPRISE)
    # 居住证 is in a personal item's name only: among 企业办事 the names alike are shown, and called so.
    html = Client().get("/guide/", {"q": "居住证", "audience": Audience.ENTERPRISE}).content.decode()
    assert "企业员工居所住址证明" in html and "居住证办理" not in html
    assert "没有完全符合「居住证」的事项，以下是名称相近的事项。" in html
    exact = Client().get("/guide/", {"q": "居住证", "audience": Audience.PERSON}).content.decode()
    assert "居住证办理" in exact and "企业员工居所住址证明" not in exact and "没有完全符合" not in exact


def test_the_catalog_api_and_the_staff_list_say_when_they_show_names_alike(tree, items):
    from jiedao.core.testing import api_client_for

    clerk = make_user(tree.subdistrict_a, "catalog.view_serviceitem")
    for api, url in (
        (APIClient(), "/api/v1/public/service-items/"),
        (api_client_for(clerk), "/api/v1/service-items/"),
    ):
        alike = api.get(url, {"q": "养老补贴"})
        rows = alike.json()["results"] if isinstance(alike.json(), dict) else alike.json()
        assert [row["name"] for row in rows] == ["居家养老服务补贴申请"]
        assert alike["X-Search-Approximate"] == "true"
        exact = api.get(url, {"q": "低保"})
        assert exact["X-Search-Approximate"] == "false"
    notice = "没有完全符合「养老补贴」的事项，以下是名称相近的事项。"
    assert notice in client_for(clerk).get("/catalog/items/", {"q": "养老补贴"}).content.decode()
    assert "没有完全符合" not in client_for(clerk).get("/catalog/items/", {"q": "低保"}).content.decode()
