"""GET /api/v1/buildings/{id}/grid/: the 楼盘表 of the building's page, by unit, floor and room, with each room's
occupants as lists show them (masked numbers), scoped like every registry endpoint and read in a fixed number of
queries."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jiedao.core.testing import api_client_for, client_for, make_user
from jiedao.registry import services
from jiedao.registry.building_grid import building_grid
from jiedao.registry.choices import HouseRelation, HouseUse
from jiedao.registry.tests.factories import person, staff
from jiedao.registry.tests.test_building_grid import (
    _fill,
    _people_and_markers,
    new_building,
    new_house,
    page,
    read_grid,
)

PHONE = "13500001111"


@pytest.fixture
def clerk(tree):
    return staff(tree.community_a1)


@pytest.fixture
def building(tree, clerk):
    """3 floors, two units: a let room with a tenant (a migrant) and her landlord's number, a let room nobody is
    registered in, a family, a shop and a basement store."""
    today = timezone.localdate()
    block = new_building(clerk, tree.community_a1, floors=3)
    let = new_house(clerk, block, "1单元", "301", is_rented=True)
    new_house(clerk, block, "1单元", "302", is_rented=True)
    home = new_house(clerk, block, "2单元", "201")
    new_house(clerk, block, "2单元", "101", use=HouseUse.COMMERCIAL)
    new_house(clerk, block, "", "B101")
    tenant = person(
        clerk, tree.community_a1, name="刘强", house=let, house_relation=HouseRelation.TENANT, phone=PHONE
    )
    services.migrant_register(
        actor=clerk,
        person=tenant,
        data=services.MigrantData(origin_address="安徽省合肥市", arrival_date=today),
    )
    person(clerk, tree.community_a1, name="张伟", house=home, house_relation=HouseRelation.OWNER)
    person(clerk, tree.community_a1, name="李娜", house=home)
    return block


def grid_of(client, building) -> dict:
    response = client.get(f"/api/v1/buildings/{building.pk}/grid/")
    assert response.status_code == 200, response.content
    return response.json()


def rooms_by_number(body: dict) -> dict[str, dict]:
    return {
        room["room"]: room for unit in body["units"] for floor in unit["floors"] for room in floor["rooms"]
    }


def test_the_grid_by_unit_floor_and_room_with_occupants_masked(tree, clerk, building):
    body = grid_of(api_client_for(clerk), building)
    tenant = building.houses.get(room="301").residents.get()

    assert body["building"] == building.pk and body["building_name"] == "和睦路8号5幢"
    assert [unit["unit"] for unit in body["units"]] == ["1单元", "2单元", ""]
    first = body["units"][0]
    assert [floor["floor"] for floor in first["floors"]] == [3, 2, 1, None]  # top first, 其他 last
    assert [room["room"] for room in first["floors"][0]["rooms"]] == ["301", "302"]
    assert body["units"][2]["floors"][-1]["rooms"][0]["room"] == "B101"

    rooms = rooms_by_number(body)
    let = rooms["301"]
    assert let["full_address"] == "和睦路8号5幢1单元301" and let["occupancy"] == "rented"
    assert let["is_rented"] is True and let["residents"] == 1 and let["unregistered_rental"] is False
    assert let["marks"] == [{"marker": "migrant", "label": "流动人口", "count": 1}]
    assert let["occupants"] == [
        {
            "id": tenant.pk,
            "name": "刘强",
            "id_number_masked": tenant.id_number_masked,
            "phone_masked": tenant.phone_masked,
            "house_relation": "tenant",
            "house_relation_display": "承租人",
        }
    ]
    assert "*" in tenant.id_number_masked and "*" in tenant.phone_masked
    content = re.sub(r"\s", "", str(body))
    assert tenant.id_number not in content and PHONE not in content
    assert rooms["302"]["unregistered_rental"] is True and rooms["302"]["occupants"] == []
    assert [o["name"] for o in rooms["201"]["occupants"]] == ["李娜", "张伟"]  # 家庭成员, then 产权人
    assert rooms["101"]["use"] == "commercial" and rooms["101"]["unregistered_rental"] is False


def test_the_counts_are_the_pages(clerk, building):
    body = grid_of(api_client_for(clerk), building)
    html = page(client_for(clerk), f"/registry/buildings/{building.pk}/")

    summary = html.split('data-testid="grid-summary"', 1)[1].split("</dl>", 1)[0]
    shown = dict(re.findall(r"<dt[^>]*>([^<]+)</dt><dd[^>]*>(\d+)", summary))
    labels = {
        "rooms": "房屋",
        "occupied": "有人居住",
        "rented": "出租",
        "vacant": "空置",
        "commercial": "商用",
        "residents": "现居住人数",
        "unregistered_rentals": "出租无人登记",
    }
    assert {key: int(shown[label]) for key, label in labels.items()} == {
        key: body["summary"][key] for key in labels
    }
    assert body["summary"]["unregistered_rentals"] == 1 and body["summary"]["rooms"] == 5
    assert {m["marker"]: m["count"] for m in body["summary"]["marked"]}["migrant"] == 1
    page_rooms = {room["href"] for row in read_grid(html).rows for cell in row["cells"] for room in cell}
    api_rooms = {f"/registry/houses/{room['house']}/" for room in rooms_by_number(body).values()}
    assert page_rooms == api_rooms


def test_another_communitys_building_is_not_found_and_without_permission_forbidden(tree, building):
    url = f"/api/v1/buildings/{building.pk}/grid/"
    for outsider in (staff(tree.community_a2), staff(tree.community_b1)):
        response = api_client_for(outsider).get(url)
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    houses_only = make_user(tree.community_a1, "registry.view_house", "registry.view_person")
    response = api_client_for(houses_only).get(url)
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    assert grid_of(api_client_for(staff(tree.subdistrict_a)), building)["summary"]["rooms"] == 5


def test_without_the_permission_to_see_persons_only_the_numbers(tree, building):
    reader = make_user(tree.community_a1, "registry.view_building", "registry.view_house")
    body = grid_of(api_client_for(reader), building)

    rooms = rooms_by_number(body)
    assert rooms["201"]["residents"] == 2 and rooms["201"]["occupants"] == []
    assert rooms["301"]["marks"] == [] and body["summary"]["marked"] == []
    assert "刘强" not in str(body)


def test_the_number_of_queries_does_not_grow_with_the_rooms(tree, clerk, django_assert_max_num_queries):
    small = new_building(clerk, tree.community_a1, name="1幢", floors=2)
    _fill(clerk, small, floors=2, units=1, per_floor=2)
    large = new_building(clerk, tree.community_a1, name="2幢", floors=33)
    _fill(clerk, large, floors=33, units=4, per_floor=4)
    for block in (small, large):
        _people_and_markers(clerk, block, tree.community_a1)
    api = api_client_for(clerk)
    grid_of(api, small)  # the token's user and their scope, read once

    counted = {}
    for block in (small, large):
        with CaptureQueriesContext(connection) as queries:
            body = grid_of(api, block)
        counted[block.name] = len(queries)
    assert counted["2幢"] == counted["1幢"], counted
    assert body["summary"]["rooms"] == 528 and len(body["units"]) == 4
    every = [room for unit in body["units"] for floor in unit["floors"] for room in floor["rooms"]]
    assert len(every) == 528 and sum(len(room["occupants"]) for room in every) == 3

    building_grid(clerk, large, occupants=True)  # the user's permissions, read once per request
    with django_assert_max_num_queries(4):  # rooms, tags, migrants, occupants
        grid = building_grid(clerk, large, occupants=True)
    assert sum(len(room.occupants) for row in grid.rows for cell in row.cells for room in cell) == 3
    assert grid.summary.unregistered_rentals == sum(
        room.unregistered_rental for row in grid.rows for cell in row.cells for room in cell
    )


def test_the_house_list_lists_the_unregistered_rentals(clerk, building):
    api = api_client_for(clerk)

    def listed(value: str) -> set[str]:
        response = api.get("/api/v1/houses/", {"building": building.pk, "unregistered_rental": value})
        assert response.status_code == 200, response.content
        return {house["room"] for house in response.json()["results"]}

    assert listed("true") == {"302"}
    assert listed("false") == {"301", "201", "101", "B101"}
    wrong = api.get("/api/v1/houses/", {"unregistered_rental": "maybe"})
    assert wrong.status_code == 400 and wrong.json()["errors"]["unregistered_rental"] == [
        "应为 true 或 false。"
    ]
