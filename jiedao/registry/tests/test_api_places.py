import pytest

from jiedao.core.exceptions import ValidationFailed
from jiedao.core.testing import api_client_for
from jiedao.registry import services
from jiedao.registry.models import Building, Enterprise, House
from jiedao.registry.tests.factories import house, person, staff
from jiedao.registry.validators import make_uscc


@pytest.fixture
def clerk(tree):
    return staff(tree.community_a1)


@pytest.fixture
def api(clerk):
    return api_client_for(clerk)


def test_building_and_house_through_the_api(tree, clerk, api):
    response = api.post(
        "/api/v1/buildings/",
        {"org": tree.community_a1.pk, "street_address": "幸福路 12号", "name": "3幢", "floors": 6},
        format="json",
    )
    assert response.status_code == 201, response.content
    building_id = response.json()["id"]
    assert response.json()["street_address"] == "幸福路12号" and response.json()["house_count"] == 0

    response = api.post(
        "/api/v1/houses/",
        {
            "building": building_id,
            "unit": "2单元",
            "room": "301",
            "use": "rental",
            "is_rented": True,
            "area": "89.50",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["full_address"] == "幸福路12号3幢2单元301" and body["org"] == tree.community_a1.pk
    assert body["resident_count"] == 0

    duplicate = api.post(
        "/api/v1/houses/", {"building": building_id, "unit": "2 单元", "room": "301"}, format="json"
    )
    assert duplicate.status_code == 400 and "已登记" in duplicate.json()["errors"]["room"][0]
    bad_area = api.post(
        "/api/v1/houses/", {"building": building_id, "room": "302", "area": "-3"}, format="json"
    )
    assert bad_area.status_code == 400 and "area" in bad_area.json()["errors"]

    person(clerk, tree.community_a1, house=House.objects.get(pk=body["id"]))
    assert api.get(f"/api/v1/houses/{body['id']}/").json()["resident_count"] == 1

    response = api.patch(f"/api/v1/buildings/{building_id}/", {"name": "5幢"}, format="json")
    assert response.status_code == 200
    assert House.objects.get(pk=body["id"]).full_address == "幸福路12号5幢2单元301"


def test_house_in_a_sibling_communitys_building_is_not_found(tree, api):
    far = services.building_create(
        actor=staff(tree.community_a2),
        data=services.BuildingData(org=tree.community_a2, street_address="远方路1号", name="1幢"),
    )
    response = api.post("/api/v1/houses/", {"building": far.pk, "room": "101"}, format="json")
    assert response.status_code == 404
    response = api.post(
        "/api/v1/buildings/",
        {"org": tree.community_a2.pk, "street_address": "某路1号", "name": "1幢"},
        format="json",
    )
    assert response.status_code == 404
    assert not House.objects.exists() and Building.objects.count() == 1


def test_house_filters(tree, clerk, api):
    rented = house(clerk, tree.community_a1, street="幸福路12号", room="301")
    services.house_update(
        actor=clerk,
        house=rented,
        data=services.HouseData(
            building=rented.building, unit=rented.unit, room="301", use="rental", is_rented=True
        ),
    )
    house(clerk, tree.community_a1, street="幸福路12号", room="302")
    house(clerk, tree.grid_a1, street="光明路8号", building="1幢", unit="", room="101")

    def addresses(**params):
        response = api.get("/api/v1/houses/", params)
        assert response.status_code == 200, response.content
        return sorted(row["full_address"] for row in response.json()["results"])

    assert addresses(address="光明路") == ["光明路8号1幢101"]
    assert addresses(address="2单元 302") == ["幸福路12号3幢2单元302"]
    assert addresses(rented="true") == ["幸福路12号3幢2单元301"]
    assert addresses(use="rental") == ["幸福路12号3幢2单元301"]
    assert addresses(org=tree.grid_a1.pk) == ["光明路8号1幢101"]
    assert api.get("/api/v1/houses/", {"use": "castle"}).status_code == 400
    assert [b["name"] for b in api.get("/api/v1/buildings/", {"address": "光明"}).json()["results"]] == [
        "1幢"
    ]


@pytest.mark.parametrize(
    ("uscc", "message"),
    [
        ("91350100M000100Y4O", "I、O、Z、S、V"),
        ("91350100M000100Y4", "应为18位"),
        ("91350100M000100Y44", "校验位错误"),
    ],
)
def test_bad_uscc_is_a_field_error_and_creates_nothing(tree, api, uscc, message):
    response = api.post(
        "/api/v1/enterprises/",
        {
            "org": tree.community_a1.pk,
            "name": "明湖科技有限公司",
            "uscc": uscc,
            "legal_representative": "陈明",
            "address": "幸福路1号",
        },
        format="json",
    )
    assert response.status_code == 400
    assert message in response.json()["errors"]["uscc"][0]
    assert not Enterprise.objects.exists()


def test_enterprise_create_filter_and_masked_phone(tree, clerk, api):
    payload = {
        "org": tree.community_a1.pk,
        "name": "明湖科技有限公司",
        "uscc": "91350100m000100y43",
        "legal_representative": "陈明",
        "address": "幸福路1号",
        "contact_phone": "13700001234",
    }
    response = api.post("/api/v1/enterprises/", payload, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["uscc"] == "91350100M000100Y43"
    assert response.json()["contact_phone_masked"] == "137****1234"
    assert "13700001234" not in response.content.decode()
    enterprise_id = response.json()["id"]
    other = services.enterprise_create(
        actor=clerk,
        data=services.EnterpriseData(
            org=tree.community_a1,
            name="光明商店",
            uscc=make_uscc("330110", "12345678"),
            legal_representative="李光",
            address="光明路1号",
            status="suspended",
        ),
    )

    def found(**params):
        response = api.get("/api/v1/enterprises/", params)
        assert response.status_code == 200
        assert "13700001234" not in response.content.decode()
        return [row["id"] for row in response.json()["results"]]

    assert found(q="明湖") == [enterprise_id]
    assert found(q="91350100M000100Y43") == [enterprise_id]
    assert found(q="91350100m000100y43") == [enterprise_id]
    assert found(q="湖") == []
    assert found(status="suspended") == [other.pk]

    response = api.patch(f"/api/v1/enterprises/{enterprise_id}/", {"employees": 12}, format="json")
    assert response.status_code == 200
    enterprise = Enterprise.objects.get(pk=enterprise_id)
    assert (enterprise.employees, enterprise.contact_phone) == (12, "13700001234")
    bad = api.patch(f"/api/v1/enterprises/{enterprise_id}/", {"contact_phone": "电话"}, format="json")
    assert bad.status_code == 400 and "电话号码格式不正确" in bad.json()["errors"]["contact_phone"][0]
    assert (
        api.patch(f"/api/v1/enterprises/{enterprise_id}/", {"status": "gone"}, format="json").status_code
        == 400
    )


def test_enterprise_in_a_sibling_community_is_not_found(tree, api):
    response = api.post(
        "/api/v1/enterprises/",
        {
            "org": tree.community_a2.pk,
            "name": "某公司",
            "uscc": make_uscc("330110", "87654321"),
            "legal_representative": "某",
            "address": "某地",
        },
        format="json",
    )
    assert response.status_code == 404 and not Enterprise.objects.exists()


def test_an_inhabited_house_stays_in_its_community_and_its_residents_hear_of_a_new_address(tree):
    """PATCH {"building": <a building of another community>} moved a lived-in house, and its residents with
    it, out of their community; and a house's new address reached its residents with no timeline entry."""
    from jiedao.registry.models import LifeEvent

    clerk = staff(tree.subdistrict_a)
    api = api_client_for(clerk)
    home = house(clerk, tree.community_a1, street="幸福路12号", building="3幢", unit="2单元", room="301")
    resident = person(clerk, tree.community_a1, name="赵一", house=home)
    elsewhere = house(clerk, tree.community_a2, street="和平路1号", building="1幢", unit="", room="101")

    response = api.patch(f"/api/v1/houses/{home.pk}/", {"building": elsewhere.building_id}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "building": ["房屋内仍有登记的居民、户或企业，不能移至其他社区的楼栋；请先为其办理迁出或变更地址。"]
    }
    home.refresh_from_db()
    assert home.org == tree.community_a1 and home.full_address == "幸福路12号3幢2单元301"

    response = api.patch(f"/api/v1/houses/{home.pk}/", {"room": "302"}, format="json")

    assert response.status_code == 200, response.content
    resident.refresh_from_db()
    assert resident.residence_address == "幸福路12号3幢2单元302"
    latest = LifeEvent.objects.filter(person=resident).latest("pk")
    assert latest.summary == "住址由“幸福路12号3幢2单元301”变更为“幸福路12号3幢2单元302”"
    # an empty house may move to another community's building
    empty = house(clerk, tree.community_a1, street="幸福路12号", building="3幢", unit="2单元", room="401")
    response = api.patch(f"/api/v1/houses/{empty.pk}/", {"building": elsewhere.building_id}, format="json")
    assert response.status_code == 200 and response.json()["org"] == tree.community_a2.pk


@pytest.mark.parametrize("floors", [0, 201])
def test_a_building_floor_count_out_of_range_is_refused_the_same_way_everywhere(tree, clerk, api, floors):
    response = api.post(
        "/api/v1/buildings/",
        {"org": tree.community_a1.pk, "street_address": "幸福路12号", "name": "3幢", "floors": floors},
        format="json",
    )
    assert response.status_code == 400 and "floors" in response.json()["errors"]
    # The service holds the rule too, for imports and anything else that builds a BuildingData.
    with pytest.raises(ValidationFailed) as refused:
        services.building_create(
            actor=clerk,
            data=services.BuildingData(
                org=tree.community_a1, street_address="幸福路12号", name="3幢", floors=floors
            ),
        )
    assert refused.value.errors == {"floors": ["层数须在 1 到 200 之间。"]}
    assert not Building.objects.exists()
