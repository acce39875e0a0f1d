"""出租无人登记: a let room where nobody is registered as living is marked in words on the 楼盘表, counted in its
概况, and listed by the house list's 是否出租 = 出租无人登记 filter — the rooms a grid worker goes to visit."""

from __future__ import annotations

import pytest
from django.utils import timezone

from jiedao.core.testing import client_for
from jiedao.registry import services
from jiedao.registry.building_grid import building_grid
from jiedao.registry.choices import HouseRelation, HouseUse
from jiedao.registry.tests.factories import person, staff
from jiedao.registry.tests.test_building_grid import new_building, new_house, page, read_grid, rooms_at

MARK = "无人登记"


@pytest.fixture
def clerk(tree):
    return staff(tree.community_a1)


@pytest.fixture
def rooms(tree, clerk):
    """A building in community A1 whose third floor holds every case, by room number."""
    building = new_building(clerk, tree.community_a1, floors=3)
    made = {
        "301": new_house(clerk, building, "1单元", "301", is_rented=True),  # let, nobody registered
        "302": new_house(clerk, building, "1单元", "302", use=HouseUse.RENTAL),  # a rental by use
        "303": new_house(clerk, building, "1单元", "303", is_rented=True),  # its tenant registered
        "304": new_house(clerk, building, "1单元", "304", is_rented=True),  # the owner lives there
        "305": new_house(clerk, building, "1单元", "305", is_rented=True),  # the tenant moved out
        "306": new_house(clerk, building, "1单元", "306", is_rented=True),  # the tenant died
        "307": new_house(clerk, building, "1单元", "307", use=HouseUse.COMMERCIAL, is_rented=True),
        "308": new_house(clerk, building, "1单元", "308"),  # not let, empty: 空置
    }
    a1 = tree.community_a1
    person(clerk, a1, name="吴磊", house=made["303"], house_relation=HouseRelation.TENANT)
    person(clerk, a1, name="周敏", house=made["304"], house_relation=HouseRelation.OWNER)
    gone = person(clerk, a1, name="赵刚", house=made["305"], house_relation=HouseRelation.TENANT)
    services.person_move_out(actor=clerk, person=gone, moved_on=timezone.localdate(), destination="上海市")
    dead = person(clerk, a1, name="钱芳", house=made["306"], house_relation=HouseRelation.TENANT)
    services.person_register_death(actor=clerk, person=dead, died_on=timezone.localdate())
    return building, made


UNREGISTERED = {"301", "302", "305", "306"}


def test_a_let_room_with_nobody_registered_is_marked_in_words_and_counted(clerk, rooms):
    building, made = rooms
    html = page(client_for(clerk), f"/registry/buildings/{building.pk}/")

    number_of = {f"/registry/houses/{house.pk}/": number for number, house in made.items()}
    third = {number_of[room["href"]]: room["text"] for room in rooms_at(read_grid(html), "3 层", "1单元")}
    assert {number for number, text in third.items() if MARK in text} == UNREGISTERED
    assert "出租" in third["301"] and "0 人" in third["301"]
    assert MARK not in third["303"] and MARK not in third["304"]  # a tenant, an owner living there
    assert MARK not in third["307"] and MARK not in third["308"]  # a shop, a room not let
    assert building_grid(clerk, building).summary.unregistered_rentals == 4
    summary = html.split('data-testid="grid-unregistered"', 1)[1].split("</div>", 1)[0]
    assert "出租无人登记" in summary and ">4 <a" in summary
    assert f"/registry/houses/?building={building.pk}&amp;rented=unregistered" in summary
    assert "出租房屋无人登记居住，需上门核实" in html  # the legend says what the mark means


def test_the_house_list_filter_lists_exactly_the_marked_rooms_within_the_readers_scope(tree, clerk, rooms):
    building, made = rooms
    elsewhere = new_building(staff(tree.community_a2), tree.community_a2, name="9幢")
    other = new_house(staff(tree.community_a2), elsewhere, "1单元", "301", is_rented=True)

    def listed(client, **params):
        html = page(client, "/registry/houses/?" + "&".join(f"{k}={v}" for k, v in params.items()))
        every = [*made.values(), other]
        return {h.full_address for h in every if f"/registry/houses/{h.pk}/" in html}

    wanted = {made[number].full_address for number in UNREGISTERED}
    assert listed(client_for(clerk), rented="unregistered") == wanted
    assert listed(client_for(clerk), rented="unregistered", building=building.pk) == wanted
    district = client_for(staff(tree.subdistrict_a))
    assert listed(district, rented="unregistered") == wanted | {other.full_address}
    assert listed(district, rented="unregistered", building=elsewhere.pk) == {other.full_address}


def test_registering_the_tenant_takes_the_room_off_the_list(tree, clerk, rooms):
    building, made = rooms
    person(clerk, tree.community_a1, name="孙丽", house=made["301"], house_relation=HouseRelation.TENANT)

    grid = building_grid(clerk, building)
    marked = {
        room.room for row in grid.rows for cell in row.cells for room in cell if room.unregistered_rental
    }
    assert marked == UNREGISTERED - {"301"} and grid.summary.unregistered_rentals == 3
    html = page(client_for(clerk), "/registry/houses/?rented=unregistered")
    assert f"/registry/houses/{made['301'].pk}/" not in html
