"""楼栋房屋 pages: buildings and houses, the residents of a house (人房关联) with tenants marked."""

from decimal import Decimal

import pytest

from jiedao.core.testing import ScopedModelContract, client_for
from jiedao.registry import services
from jiedao.registry.models import Building, House, Person
from jiedao.registry.tests.factories import house, person, staff
from jiedao.registry.validators import make_uscc


@pytest.fixture
def clerk(tree):
    return staff(tree.community_a1)


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_building_and_house_are_registered_through_the_pages(tree, clerk):
    client = client_for(clerk)
    data = {
        "org": tree.community_a1.pk,
        "street_address": "幸福路 12号",
        "name": "3幢",
        "floors": 6,
        "coordinate_system": "wgs84",
        "latitude": "120.1",
        "longitude": "30.2",
    }
    html = page(client.post("/registry/buildings/new/", data))
    assert "是否与经度填反了" in html and not Building.objects.exists()
    data.update(latitude="30.2", longitude="120.1")
    response = client.post("/registry/buildings/new/", data)
    building = Building.objects.get()
    assert response.status_code == 302 and building.street_address == "幸福路12号"
    assert response["Location"] == f"/registry/houses/?building={building.pk}"
    assert f'value="{building.pk}" selected' in page(
        client.get(f"/registry/houses/new/?building={building.pk}")
    )
    data = {
        "building": building.pk,
        "unit": "2单元",
        "room": "301",
        "use": "residential",
        "ownership": "private",
        "area": "89.5",
        "is_rented": "on",
        "coordinate_system": "wgs84",
    }
    response = client.post("/registry/houses/new/", data)
    created = House.objects.get()
    assert response["Location"] == f"/registry/houses/{created.pk}/"
    assert (
        created.full_address == "幸福路12号3幢2单元301"
        and created.is_rented
        and created.area == Decimal("89.5")
    )
    assert "房屋 幸福路12号3幢2单元301 已登记" in page(client.post("/registry/houses/new/", data))
    assert House.objects.count() == 1


def test_building_list_and_edit_renames_its_houses(tree, clerk):
    home = house(clerk, tree.community_a1)
    client = client_for(clerk)
    html = page(client.get("/registry/buildings/", {"q": "幸福"}))
    assert "幸福路12号" in html and f"/registry/buildings/{home.building_id}/edit/" in html
    data = {
        "org": tree.community_a1.pk,
        "street_address": "幸福路14号",
        "name": "3幢",
        "coordinate_system": "wgs84",
    }
    assert client.post(f"/registry/buildings/{home.building_id}/edit/", data).status_code == 302
    home.refresh_from_db()
    assert home.full_address == "幸福路14号3幢2单元301"


def test_house_list_filters_by_address_use_rented_and_building(tree, clerk):
    flat = house(clerk, tree.community_a1, street="幸福路12号", room="301")
    shop = house(clerk, tree.community_a1, street="和平街1号", building="1幢", unit="", room="101")
    services.house_update(
        actor=clerk,
        house=shop,
        data=services.HouseData(building=shop.building, room="101", use="commercial", is_rented=True),
    )
    client = client_for(clerk)

    def shown(**params):
        html = page(client.get("/registry/houses/", params))
        return {h.full_address for h in (flat, shop) if f"/registry/houses/{h.pk}/" in html}

    assert shown() == {flat.full_address, shop.full_address}
    assert shown(q="福路12") == {flat.full_address}
    assert shown(use="commercial") == {shop.full_address} and shown(rented="yes") == {shop.full_address}
    assert shown(rented="no") == {flat.full_address} and shown(building=flat.building_id) == {
        flat.full_address
    }


def test_house_detail_shows_residents_tenants_households_and_enterprises(tree, clerk):
    home = house(clerk, tree.community_a1)
    owner = person(clerk, tree.community_a1, name="房东甲", house=home, house_relation="owner")
    tenant = person(
        clerk, tree.community_a1, name="租客乙", house=home, house_relation="tenant", phone="13500001111"
    )
    gone = person(clerk, tree.community_a1, name="已迁丙", house=home)
    services.person_move_out(actor=clerk, person=gone, moved_on=gone.created_at.date(), destination="外地")
    services.household_create(
        actor=clerk, org=tree.community_a1, number="H-7", registered_address="某地", head=owner, house=home
    )
    services.enterprise_create(
        actor=clerk,
        data=services.EnterpriseData(
            org=tree.community_a1,
            name="幸福小卖部",
            uscc=make_uscc("330110", "12345678"),
            legal_representative="房东甲",
            address="幸福路12号",
            house=home,
        ),
    )
    html = page(client_for(clerk).get(f"/registry/houses/{home.pk}/"))
    residents = html[html.index('data-testid="residents"') : html.index('data-testid="households"')]
    assert "房东甲" in residents and "产权人" in residents and "已迁丙" not in residents
    assert '<span class="badge text-bg-info">承租人</span>' in residents and "租客乙" in residents
    assert "135****1111" in residents and "13500001111" not in html and tenant.id_number not in html
    assert "H-7" in html and "幸福小卖部" in html
    assert f"/registry/persons/new/?house={home.pk}" in html


def test_house_edit_moves_residents_address(tree, clerk):
    home = house(clerk, tree.community_a1)
    resident = person(clerk, tree.community_a1, house=home)
    data = {
        "building": home.building_id,
        "unit": "2单元",
        "room": "3011",
        "use": "residential",
        "ownership": "private",
        "coordinate_system": "wgs84",
    }
    assert client_for(clerk).post(f"/registry/houses/{home.pk}/edit/", data).status_code == 302
    assert Person.objects.get(pk=resident.pk).residence_address == "幸福路12号3幢2单元3011"


def test_other_communitys_clerk_gets_404_on_building_and_house_pages(tree, clerk):
    home = house(clerk, tree.community_a1)
    outsider = client_for(staff(tree.community_a2))
    for url in (
        f"/registry/houses/{home.pk}/",
        f"/registry/houses/{home.pk}/edit/",
        f"/registry/buildings/{home.building_id}/edit/",
    ):
        assert outsider.get(url).status_code == 404, url
    assert home.full_address not in page(outsider.get("/registry/houses/"))
    # nor can they register a house in a building that is not theirs
    data = {
        "building": home.building_id,
        "room": "999",
        "use": "residential",
        "ownership": "private",
        "coordinate_system": "wgs84",
    }
    assert outsider.post("/registry/houses/new/", data).status_code == 200
    assert House.objects.count() == 1


class TestHousePagesAreScoped(ScopedModelContract):
    view_permission = "registry.view_house"

    def make_object(self, org):
        if org.level < 3:
            building = Building.objects.create(org=org, street_address=f"上级路{org.pk}号", name="1幢")
            return House.objects.create(
                org=org, building=building, room="101", full_address=f"上级路{org.pk}号1幢101"
            )
        return house(staff(org), org, street=f"社区路{org.pk}号")

    def detail_url(self, obj):
        return f"/registry/houses/{obj.pk}/"
