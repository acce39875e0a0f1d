"""The scope contract for every registry endpoint: own record visible, sibling's and parent's 404, list
limited to scope. Records are made with the ORM so they can also sit on a sub-district node."""

from datetime import date
from itertools import count

from jiedao.core.testing import ScopedModelContract
from jiedao.registry.identity import pinyin_keys, stored_identity
from jiedao.registry.models import Building, Enterprise, House, Household, Migrant, Person
from jiedao.registry.tests.factories import new_id_number
from jiedao.registry.validators import make_uscc

_serial = count(1)


def orm_person(org, name="王五"):
    identity = stored_identity(new_id_number())
    full, initials = pinyin_keys(name)
    return Person.objects.create(
        org=org,
        name=name,
        name_pinyin=full,
        name_initials=initials,
        id_number=identity.id_number,
        id_number_hash=identity.id_number_hash,
        id_number_masked=identity.id_number_masked,
        id_kind=identity.id_kind,
        gender=identity.gender,
        birth_date=identity.birth_date,
    )


def orm_building(org):
    return Building.objects.create(org=org, street_address=f"测试路{next(_serial)}号", name="1幢")


def orm_house(org):
    building = orm_building(org)
    return House.objects.create(
        org=org, building=building, room="101", full_address=f"{building.street_address}{building.name}101"
    )


class TestPersonApiScope(ScopedModelContract):
    view_permission = "registry.view_person"
    api_list_url = "/api/v1/persons/"

    def make_object(self, org):
        return orm_person(org)

    def api_detail_url(self, obj):
        return f"/api/v1/persons/{obj.pk}/"


class TestHouseholdApiScope(ScopedModelContract):
    view_permission = "registry.view_household"
    api_list_url = "/api/v1/households/"

    def make_object(self, org):
        return Household.objects.create(org=org, number=f"H-{next(_serial)}", registered_address="幸福路1号")

    def api_detail_url(self, obj):
        return f"/api/v1/households/{obj.pk}/"


class TestHouseApiScope(ScopedModelContract):
    view_permission = "registry.view_house"
    api_list_url = "/api/v1/houses/"

    def make_object(self, org):
        return orm_house(org)

    def api_detail_url(self, obj):
        return f"/api/v1/houses/{obj.pk}/"


class TestBuildingApiScope(ScopedModelContract):
    view_permission = "registry.view_building"
    api_list_url = "/api/v1/buildings/"

    def make_object(self, org):
        return orm_building(org)

    def api_detail_url(self, obj):
        return f"/api/v1/buildings/{obj.pk}/"


class TestEnterpriseApiScope(ScopedModelContract):
    view_permission = "registry.view_enterprise"
    api_list_url = "/api/v1/enterprises/"

    def make_object(self, org):
        return Enterprise.objects.create(
            org=org,
            name=f"测试企业{next(_serial)}",
            uscc=make_uscc("330110", f"{next(_serial):08d}"),
            legal_representative="陈明",
            address="幸福路1号",
        )

    def api_detail_url(self, obj):
        return f"/api/v1/enterprises/{obj.pk}/"


class TestMigrantApiScope(ScopedModelContract):
    view_permission = "registry.view_migrant"
    api_list_url = "/api/v1/migrants/"

    def make_object(self, org):
        return Migrant.objects.create(
            person=orm_person(org), origin_address="安徽省阜阳市", arrival_date=date(2024, 3, 1)
        )

    def api_detail_url(self, obj):
        return f"/api/v1/migrants/{obj.pk}/"
