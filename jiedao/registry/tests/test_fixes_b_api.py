"""Issue 3 audit, registry API: a list never hands out more than `max_limit` rows per request, and
/api/v1/migrants/ is searched like /api/v1/persons/ (name, pinyin, ID number or phone by blind index, origin)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jiedao.core.testing import api_client_for
from jiedao.registry import services
from jiedao.registry.models import Person
from jiedao.registry.tests.factories import new_id_number, person, staff


def test_a_huge_limit_is_cut_to_the_ceiling(tree):
    clerk = staff(tree.community_a1)
    first = person(clerk, tree.community_a1, name="张三")
    rows = [
        Person(
            org=tree.community_a1,
            name=f"李{n:03d}",
            id_number_hash=f"hash{n}",
            id_number_masked="x",
            birth_date=first.birth_date,
            gender="1",
        )
        for n in range(230)
    ]
    Person.objects.bulk_create(rows)
    api = api_client_for(clerk)
    body = api.get("/api/v1/persons/", {"limit": 100000}).json()
    assert body["count"] == 231 and len(body["results"]) == 200
    assert "limit=200" in body["next"] and "offset=200" in body["next"]
    assert len(api.get(body["next"]).json()["results"]) == 31
    assert len(api.get("/api/v1/persons/").json()["results"]) == 50  # the default page is unchanged
    assert len(api.get("/api/v1/persons/", {"limit": 120}).json()["results"]) == 120


def test_every_list_of_the_schema_documents_the_ceiling(tree):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    limits = [
        parameter
        for path in schema["paths"].values()
        for operation in path.values()
        for parameter in operation.get("parameters", [])
        if parameter.get("name") == "limit"
    ]
    assert limits and all("最多 200" in parameter["description"] for parameter in limits)


@pytest.fixture
def migrants(tree):
    clerk = staff(tree.community_a1)
    today = timezone.localdate()
    made = {}
    for name, origin_code, origin, phone in (
        ("曾丽", "341202", "安徽省阜阳市颍州区", "13800000001"),
        ("张三", "361102", "江西省上饶市信州区", "13800000002"),
        ("张小明", "341221", "安徽省阜阳市临泉县", ""),
    ):
        someone = person(clerk, tree.community_a1, name=name, phone=phone)
        services.migrant_register(
            actor=clerk,
            person=someone,
            data=services.MigrantData(
                origin_address=origin,
                origin_region_code=origin_code,
                arrival_date=today - timedelta(days=30),
                permit_number=new_id_number(),
                permit_valid_until=today + timedelta(days=100),
            ),
        )
        made[name] = someone
    # Someone of another community with the same name is never listed.
    outsider_clerk = staff(tree.community_b1)
    outsider = person(outsider_clerk, tree.community_b1, name="张三")
    services.migrant_register(
        actor=outsider_clerk,
        person=outsider,
        data=services.MigrantData(origin_address="安徽省阜阳市颍州区", arrival_date=today),
    )
    made["outsider"] = outsider
    return clerk, made


def names(api, **params) -> list[str]:
    response = api.get("/api/v1/migrants/", params)
    assert response.status_code == 200, response.content
    return sorted(row["person"]["name"] for row in response.json()["results"])


def test_migrants_are_searched_by_name_pinyin_and_initials(migrants):
    clerk, _made = migrants
    api = api_client_for(clerk)
    assert names(api, q="张") == ["张三", "张小明"]
    assert names(api, q="zhangxiao") == ["张小明"]
    assert names(api, q="zs") == ["张三"]
    assert names(api, q="zengli") == ["曾丽"]
    assert names(api, q="王") == []


def test_migrants_are_found_exactly_by_id_number_and_phone(migrants):
    clerk, made = migrants
    api = api_client_for(clerk)
    number = Person.objects.get(pk=made["张三"].pk).id_number
    with CaptureQueriesContext(connection) as queries:
        assert names(api, q=number) == ["张三"]
    sql = " ".join(query["sql"] for query in queries.captured_queries)
    assert "id_number_hash" in sql and number not in sql  # the blind index, never the number itself
    assert names(api, q=number.lower()[:17] + number[17].lower()) == ["张三"]
    assert names(api, q="138 0000 0001") == ["曾丽"]
    assert names(api, q=Person.objects.get(pk=made["outsider"].pk).id_number) == []  # out of scope


def test_migrants_are_filtered_by_origin(migrants):
    clerk, _made = migrants
    api = api_client_for(clerk)
    assert names(api, origin="阜阳") == ["张小明", "曾丽"]
    assert names(api, origin="34") == ["张小明", "曾丽"]
    assert names(api, origin="341202") == ["曾丽"]
    assert names(api, origin="上饶") == ["张三"]
    assert names(api, origin="阜阳", q="zhang") == ["张小明"]


def test_migrant_search_is_in_the_schema():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/migrants/"]["get"]["parameters"]}
    assert {"q", "origin", "expiring_within", "org", "limit", "offset"} <= set(parameters)
    assert "证件号码" in parameters["q"]["description"] and "区划代码" in parameters["origin"]["description"]
