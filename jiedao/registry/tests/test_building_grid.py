"""楼盘表: a building's page lays its rooms out by floor (top first) and unit, with each room's use or occupancy,
its residents and the markers a grid worker must notice — counts, never names — in a few queries whatever the
building's size."""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jiedao.core.testing import client_for, make_user
from jiedao.registry import services
from jiedao.registry.building_grid import building_grid, floor_of
from jiedao.registry.choices import HouseRelation, HouseUse
from jiedao.registry.models import Building, House
from jiedao.registry.tests.factories import person, staff


class GridReader(HTMLParser):
    """The grid as a reader meets it: each body row's header (楼层) and, per unit column, the rooms' texts and
    links; the column headers (单元)."""

    def __init__(self):
        super().__init__()
        self.units: list[str] = []
        self.rows: list[dict] = []
        self._in_grid = self._in_head = False
        self._header: list[str] | None = None
        self._room: dict | None = None
        self._room_tag = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("data-testid") == "building-grid":
            self._in_grid = True
        if not self._in_grid:
            return
        if tag == "thead":
            self._in_head = True
        elif tag == "tr" and not self._in_head:
            self.rows.append({"floor": "", "cells": []})
        elif tag == "th":
            self._header = []
        elif tag == "td":
            self.rows[-1]["cells"].append([])
        elif attrs.get("data-testid") == "grid-room":
            self._room, self._room_tag = {"href": attrs.get("href"), "text": ""}, tag
            self.rows[-1]["cells"][-1].append(self._room)

    def handle_endtag(self, tag):
        if not self._in_grid:
            return
        if tag == "table":
            self._in_grid = False
        elif tag == "thead":
            self._in_head = False
        elif tag == "th" and self._header is not None:
            text = "".join(self._header).strip()
            if self._in_head:
                self.units.append(text)
            else:
                self.rows[-1]["floor"] = text
            self._header = None
        elif self._room is not None and tag == self._room_tag:
            self._room["text"] = " ".join(self._room["text"].split())
            self._room = None

    def handle_data(self, data):
        if self._room is not None:
            self._room["text"] += data
        elif self._header is not None:
            self._header.append(data)


def read_grid(html: str) -> GridReader:
    reader = GridReader()
    reader.feed(html)
    return reader


def rooms_at(grid: GridReader, floor: str, unit: str) -> list[dict]:
    column = grid.units.index(unit) - 1  # the first header is 楼层
    return next(row for row in grid.rows if row["floor"] == floor)["cells"][column]


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


@pytest.fixture
def clerk(tree):
    return staff(tree.community_a1)


def new_building(actor, org, name="5幢", floors=None) -> Building:
    return services.building_create(
        actor=actor, data=services.BuildingData(org=org, street_address="和睦路8号", name=name, floors=floors)
    )


def new_house(actor, building, unit, room, **values) -> House:
    return services.house_create(
        actor=actor, data=services.HouseData(building=building, unit=unit, room=room, **values)
    )


def test_rooms_sit_on_their_floor_and_unit_top_floor_first_and_link_to_their_house(tree, clerk):
    building = new_building(clerk, tree.community_a1, floors=6)
    top_left = new_house(clerk, building, "1单元", "602")
    top_first = new_house(clerk, building, "1单元", "601")
    ground = new_house(clerk, building, "2单元", "101")
    basement = new_house(clerk, building, "1单元", "B101")
    shop = new_house(clerk, building, "", "商铺1", use=HouseUse.COMMERCIAL)
    new_house(clerk, building, "10单元", "1203")  # above a 6-floor building: no floor is guessed

    grid = read_grid(page(client_for(clerk), f"/registry/buildings/{building.pk}/"))

    assert grid.units == ["楼层", "1单元", "2单元", "10单元", "未分单元"]
    assert [row["floor"] for row in grid.rows] == ["6 层", "5 层", "4 层", "3 层", "2 层", "1 层", "其他"]
    top = rooms_at(grid, "6 层", "1单元")
    assert [room["href"] for room in top] == [
        f"/registry/houses/{top_first.pk}/",
        f"/registry/houses/{top_left.pk}/",
    ]
    assert "601" in top[0]["text"] and "空置" in top[0]["text"]
    assert rooms_at(grid, "1 层", "2单元")[0]["href"] == f"/registry/houses/{ground.pk}/"
    assert rooms_at(grid, "1 层", "1单元") == [] and rooms_at(grid, "5 层", "2单元") == []
    assert rooms_at(grid, "其他", "1单元")[0]["href"] == f"/registry/houses/{basement.pk}/"
    assert "1203" in rooms_at(grid, "其他", "10单元")[0]["text"]
    other_shop = rooms_at(grid, "其他", "未分单元")[0]
    assert other_shop["href"] == f"/registry/houses/{shop.pk}/" and "商用" in other_shop["text"]


def test_floors_come_from_the_room_number():
    assert floor_of("1203") == 12 and floor_of("301") == 3 and floor_of("0301") == 3
    assert floor_of("１２０３室") == 12  # full-width digits as typed on a Chinese keyboard
    assert floor_of("B101") is None and floor_of("12") is None and floor_of("3-301") is None
    assert floor_of("3401", top_floor=33) is None and floor_of("3301", top_floor=33) == 33


def test_each_room_shows_its_occupancy_residents_and_markers_but_no_names(tree, clerk):
    today = timezone.localdate()
    building = new_building(clerk, tree.community_a1, floors=3)
    alone = new_house(clerk, building, "1单元", "301")
    let = new_house(clerk, building, "1单元", "302", is_rented=True)
    family = new_house(clerk, building, "1单元", "201")
    new_house(clerk, building, "1单元", "202")  # nobody lives here
    tenants_only = new_house(clerk, building, "1单元", "101")  # a tenant registered, the house never marked

    granny = person(clerk, tree.community_a1, name="王秀英", house=alone)
    services.tag_add(actor=clerk, person=granny, group="elderly_alone", valid_from=today - timedelta(days=30))
    services.tag_add(
        actor=clerk, person=granny, group="dibao", valid_from=today - timedelta(days=90),
        valid_until=today - timedelta(days=1),
    )  # fmt: skip
    for name, permit in (("刘强", today + timedelta(days=10)), ("陈静", today + timedelta(days=300))):
        renter = person(clerk, tree.community_a1, name=name, house=let, house_relation=HouseRelation.TENANT)
        services.migrant_register(
            actor=clerk,
            person=renter,
            data=services.MigrantData(
                origin_address="安徽省合肥市",
                arrival_date=today - timedelta(days=60),
                permit_valid_until=permit,
            ),
        )
    for name in ("张伟", "李娜"):
        member = person(clerk, tree.community_a1, name=name, house=family)
    services.tag_add(actor=clerk, person=member, group="tekun", valid_from=today)
    services.tag_add(
        actor=clerk, person=member, group="disabled", valid_from=today, details={"type": "4", "grade": "3"}
    )
    gone = person(clerk, tree.community_a1, name="赵刚", house=family)
    services.person_move_out(actor=clerk, person=gone, moved_on=today, destination="上海市")
    person(clerk, tree.community_a1, name="吴磊", house=tenants_only, house_relation=HouseRelation.TENANT)

    html = page(client_for(clerk), f"/registry/buildings/{building.pk}/")
    grid = read_grid(html)

    room_301 = rooms_at(grid, "3 层", "1单元")[0]["text"]
    assert "自住" in room_301 and "1 人" in room_301 and "独居老人" in room_301
    assert "低保/特困" not in room_301  # the 低保 ended yesterday
    room_302 = rooms_at(grid, "3 层", "1单元")[1]["text"]
    assert "出租" in room_302 and "2 人" in room_302
    assert "流动人口 2 人" in room_302 and "居住证已过期或将到期" in room_302
    assert "居住证已过期或将到期 2 人" not in room_302  # only one permit runs out within 30 days
    room_201, room_202 = (room["text"] for room in rooms_at(grid, "2 层", "1单元"))
    assert "2 人" in room_201 and "低保/特困" in room_201 and "残疾人" in room_201  # 赵刚 moved out
    assert "空置" in room_202 and "0 人" in room_202
    assert "出租" in rooms_at(grid, "1 层", "1单元")[0]["text"]
    for name in ("王秀英", "刘强", "陈静", "张伟", "李娜", "吴磊"):
        assert name not in html

    summary = building_grid(clerk, building).summary
    assert (summary.rooms, summary.occupied, summary.rented, summary.vacant, summary.residents) == (
        5,
        4,
        2,
        1,
        6,
    )
    assert summary.migrants == 2
    assert 'data-testid="grid-summary"' in html and "现居住人数" in html and "图例" in html


def test_markers_need_the_permission_to_see_special_groups_and_migrants(tree, clerk):
    today = timezone.localdate()
    building = new_building(clerk, tree.community_a1)
    home = new_house(clerk, building, "1单元", "301")
    granny = person(clerk, tree.community_a1, name="王秀英", house=home)
    services.tag_add(actor=clerk, person=granny, group="elderly_alone", valid_from=today)
    housing_only = make_user(tree.community_a1, "registry.view_building", "registry.view_house")

    html = page(client_for(housing_only), f"/registry/buildings/{building.pk}/")

    room = rooms_at(read_grid(html), "3 层", "1单元")[0]["text"]
    assert "1 人" in room and "独居老人" not in room and "独居老人" not in html


def test_another_communitys_building_is_not_found_and_the_sub_district_sees_it(tree, clerk):
    building = new_building(clerk, tree.community_a1)
    new_house(clerk, building, "1单元", "301")
    url = f"/registry/buildings/{building.pk}/"

    assert client_for(staff(tree.community_a2)).get(url).status_code == 404
    assert client_for(staff(tree.community_b1)).get(url).status_code == 404
    assert "301" in page(client_for(staff(tree.subdistrict_a)), url)
    no_permission = make_user(tree.community_a1, "registry.view_house")
    assert client_for(no_permission).get(url).status_code == 403


def test_the_building_list_and_a_house_page_lead_to_the_grid(tree, clerk):
    building = new_building(clerk, tree.community_a1)
    home = new_house(clerk, building, "1单元", "301")
    client = client_for(clerk)
    url = f"/registry/buildings/{building.pk}/"

    assert f'href="{url}"' in page(client, "/registry/buildings/")
    assert f'href="{url}"' in page(client, f"/registry/houses/{home.pk}/")


def test_a_building_without_houses_says_so(tree, clerk):
    building = new_building(clerk, tree.community_a1, floors=33)
    html = page(client_for(clerk), f"/registry/buildings/{building.pk}/")
    assert "该楼栋还没有登记您可查看的房屋" in html and 'data-testid="building-grid"' not in html


def _fill(actor, building: Building, floors: int, units: int, per_floor: int) -> None:
    """Every room of the building, written at once (the grid, not the registering, is under test)."""
    House.objects.bulk_create(
        House(
            building=building,
            org=building.org,
            created_by=actor,
            unit=f"{unit}单元",
            room=f"{floor}{number:02d}",
            full_address=f"{building}{unit}单元{floor}{number:02d}",
            is_rented=(floor + number) % 3 == 0,
        )
        for floor in range(1, floors + 1)
        for unit in range(1, units + 1)
        for number in range(1, per_floor + 1)
    )


def _people_and_markers(actor, building: Building, org) -> None:
    today = timezone.localdate()
    for index, house in enumerate(House.objects.filter(building=building).order_by("pk")[:3]):
        someone = person(actor, org, name="住户" + "甲乙丙"[index], house=house)
        services.tag_add(actor=actor, person=someone, group="elderly_alone", valid_from=today)
        services.migrant_register(
            actor=actor,
            person=someone,
            data=services.MigrantData(origin_address="四川省成都市", arrival_date=today),
        )


def test_the_number_of_queries_does_not_grow_with_the_rooms(tree, clerk):
    small = new_building(clerk, tree.community_a1, name="1幢", floors=2)
    _fill(clerk, small, floors=2, units=1, per_floor=2)
    large = new_building(clerk, tree.community_a1, name="2幢", floors=33)
    _fill(clerk, large, floors=33, units=4, per_floor=4)
    for building in (small, large):
        _people_and_markers(clerk, building, tree.community_a1)
    client = client_for(clerk)
    page(client, f"/registry/buildings/{small.pk}/")  # the session and the user's scope, read once

    counted = {}
    for building in (small, large):
        with CaptureQueriesContext(connection) as queries:
            html = page(client, f"/registry/buildings/{building.pk}/")
        counted[building.name] = len(queries)
    assert len(read_grid(html).rows) == 33 and html.count('data-testid="grid-room"') == 528
    # the session, the user and their scope, the building, its rooms, tags and migrants, the header's badges
    assert counted["2幢"] == counted["1幢"] <= 16, counted


def test_the_grid_itself_is_three_queries(tree, clerk, django_assert_max_num_queries):
    large = new_building(clerk, tree.community_a1, floors=33)
    _fill(clerk, large, floors=33, units=4, per_floor=4)
    _people_and_markers(clerk, large, tree.community_a1)
    building_grid(clerk, large)  # the user's permissions, read once per request

    with django_assert_max_num_queries(3):
        grid = building_grid(clerk, large)
    assert grid.summary.rooms == 528 and grid.summary.residents == 3 and grid.summary.migrants == 3
    assert [cell for cell in grid.rows[0].cells] and grid.rows[0].floor == 33
    assert [len(rooms) for rooms in grid.rows[-1].cells] == [4, 4, 4, 4] and grid.rows[-1].floor == 1
