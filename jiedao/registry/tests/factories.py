"""Test data for the registry: valid ID numbers, a building and house per community, registry staff."""

from __future__ import annotations

from datetime import date
from itertools import count

from jiedao.core.scope import DataScope
from jiedao.core.testing import make_user
from jiedao.registry import services
from jiedao.registry.validators import make_id_number

_sequence = count(100)
STAFF_PERMISSIONS = (
    "registry.view_person",
    "registry.add_person",
    "registry.change_person",
    "registry.view_household",
    "registry.add_household",
    "registry.change_household",
    "registry.view_building",
    "registry.add_building",
    "registry.change_building",
    "registry.view_house",
    "registry.add_house",
    "registry.change_house",
    "registry.view_enterprise",
    "registry.add_enterprise",
    "registry.change_enterprise",
    "registry.view_migrant",
    "registry.view_specialgrouptag",
    "registry.view_lifeevent",
    "registry.view_householdmember",
)


def new_id_number(birth: date = date(1980, 5, 17), region: str = "330110", *, female: bool = False) -> str:
    sequence = next(_sequence)
    if (sequence % 2 == 0) != female:  # odd sequence digit = male
        sequence = next(_sequence)
    # 100–999 over and over (the parity kept): one run of the whole suite asks for more than 900 numbers,
    # a single test for far fewer, so a number comes back only in a later test's fresh database.
    return make_id_number(region, birth, 100 + (sequence - 100) % 900)


def staff(org, *extra, scope=DataScope.SUBTREE):
    return make_user(org, *STAFF_PERMISSIONS, *extra, scope=scope)


def person(actor, org, name="张三", **kwargs):
    data = services.PersonData(
        name=name, id_number=kwargs.pop("id_number", None) or new_id_number(), org=org, **kwargs
    )
    return services.person_create(actor=actor, data=data)


def house(actor, org, street="幸福路12号", building="3幢", unit="2单元", room="301"):
    from jiedao.registry.models import Building

    existing = Building.objects.filter(street_address=street, name=building).first()
    block = existing or services.building_create(
        actor=actor, data=services.BuildingData(org=org, street_address=street, name=building)
    )
    return services.house_create(actor=actor, data=services.HouseData(building=block, unit=unit, room=room))
