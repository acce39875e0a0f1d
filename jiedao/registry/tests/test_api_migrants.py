from datetime import timedelta

from django.utils import timezone

from jiedao.core.testing import api_client_for
from jiedao.registry import services
from jiedao.registry.tests.factories import new_id_number, person, staff


def test_expiring_within_and_masked_permit(tree):
    clerk = staff(tree.community_a1)
    today = timezone.localdate()
    permits = {}
    for name, days in (("甲", 5), ("乙", 40), ("丙", -1)):
        someone = person(clerk, tree.community_a1, name=name)
        permits[name] = new_id_number()
        services.migrant_register(
            actor=clerk,
            person=someone,
            data=services.MigrantData(
                origin_address="安徽省阜阳市",
                arrival_date=today - timedelta(days=400),
                permit_number=permits[name],
                permit_valid_until=today + timedelta(days=days),
            ),
        )
    api = api_client_for(clerk)

    def names(**params):
        response = api.get("/api/v1/migrants/", params)
        assert response.status_code == 200, response.content
        assert not any(number in response.content.decode() for number in permits.values())
        return sorted(row["person"]["name"] for row in response.json()["results"])

    assert names() == ["丙", "乙", "甲"]
    assert names(expiring_within=30) == ["甲"]
    assert names(expiring_within=60) == ["乙", "甲"]
    response = api.get("/api/v1/migrants/", {"expiring_within": "-3"})
    assert response.status_code == 400 and "expiring_within" in response.json()["errors"]
    row = api.get("/api/v1/migrants/", {"expiring_within": 30}).json()["results"][0]
    assert row["permit_number_masked"] == permits["甲"][:6] + "********" + permits["甲"][-4:]


def test_migrants_endpoint_is_read_only(tree):
    api = api_client_for(staff(tree.community_a1))
    assert api.post("/api/v1/migrants/", {}, format="json").status_code == 405
