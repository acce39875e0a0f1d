"""楼盘表 on a 390 px phone: the grid of a four-unit building scrolls in its own box, which the keyboard reaches,
and the page itself never scrolls sideways; a room is opened from the keyboard; a let room nobody is registered in
says so in words, and so does a room due for a visit (待核查)."""

import pytest
from playwright.sync_api import expect

from jiedao.registry import services
from jiedao.registry.tests import factories as people

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


def test_a_four_unit_building_scrolls_in_its_own_box_and_a_room_opens_from_the_keyboard(open_page, tree):
    clerk = people.staff(tree.community_a1, "registry.view_housevisit")
    building = services.building_create(
        actor=clerk,
        data=services.BuildingData(org=tree.community_a1, street_address="和睦路8号", name="5幢", floors=3),
    )
    for unit in range(1, 5):
        for floor in range(1, 4):
            for number in range(1, 5):
                services.house_create(
                    actor=clerk,
                    data=services.HouseData(
                        building=building,
                        unit=f"{unit}单元",
                        room=f"{floor}{number:02d}",
                        is_rented=(unit, floor, number) == (1, 3, 1),  # let, nobody registered
                    ),
                )
    page = open_page(390, 844, user=clerk)
    page.goto(f"/registry/buildings/{building.pk}/")

    grid = page.get_by_role("region", name="和睦路8号5幢 楼盘表")
    assert grid.evaluate("el => el.scrollWidth > el.clientWidth")
    assert page.evaluate(OVERFLOW) <= 0
    grid.focus()
    expect(grid).to_be_focused()
    page.keyboard.press("Tab")
    first = page.get_by_test_id("grid-room").first
    expect(first).to_be_focused()
    expect(first).to_contain_text("301")
    expect(first.get_by_test_id("grid-unregistered-rental")).to_have_text("无人登记")
    expect(first.get_by_test_id("grid-unregistered-rental")).to_be_visible()
    expect(first.get_by_test_id("grid-visit-due-room")).to_have_text("待核查")  # never visited
    expect(first.get_by_test_id("grid-visit-due-room")).to_be_visible()
    page.keyboard.press("Enter")
    page.wait_for_url("**/registry/houses/*/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("和睦路8号5幢1单元301")
