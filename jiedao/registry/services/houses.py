"""Buildings and houses: the standard addresses everything else points at."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from jiedao.audit import services as audit
from jiedao.core.exceptions import ValidationFailed
from jiedao.core.i18n import Message, for_record
from jiedao.core.scope import require
from jiedao.orgs.models import OrgUnit
from jiedao.registry import audit_events as events
from jiedao.registry.choices import CoordinateSystem, HouseUse, LifeEventKind, Ownership
from jiedao.registry.models import Building, Enterprise, House, Household, LifeEvent, Person
from jiedao.registry.services.common import (
    community_errors,
    length_errors,
    merge_errors,
    same_community,
)
from jiedao.registry.services.residence import refresh_residence_split

BUILDING_FIELDS = ["street_address", "name", "floors", "latitude", "longitude", "coordinate_system", "org"]
HOUSE_FIELDS = [
    "building",
    "unit",
    "room",
    "full_address",
    "use",
    "ownership",
    "owner_name",
    "area",
    "is_rented",
    "latitude",
    "longitude",
    "coordinate_system",
    "org",
]

# Rough bounds of China, to catch swapped or missing coordinates; not a border test.
LATITUDE_RANGE = (Decimal("3.8"), Decimal("53.6"))
LONGITUDE_RANGE = (Decimal("73.5"), Decimal("135.1"))


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text or "")


def house_full_address(street_address: str, building_name: str, unit: str, room: str) -> str:
    """`幸福路12号` + `3幢` + `2单元` + `301` → `幸福路12号3幢2单元301`, whitespace removed: the import key."""
    return _squash(street_address) + _squash(building_name) + _squash(unit) + _squash(room)


def coordinate_errors(latitude, longitude, system: str) -> dict[str, list[str]]:
    """Coordinates checked as houses, enterprises and their imports take them: both or neither, inside China, a known coordinate system."""
    errors: dict[str, list[str]] = {}
    if (latitude is None) != (longitude is None):
        errors["latitude"] = [_("经纬度须同时填写。")]
    if latitude is not None and not (LATITUDE_RANGE[0] <= latitude <= LATITUDE_RANGE[1]):
        errors["latitude"] = [_("纬度 %(v)s 不在我国范围内，是否与经度填反了？") % {"v": latitude}]
    if longitude is not None and not (LONGITUDE_RANGE[0] <= longitude <= LONGITUDE_RANGE[1]):
        errors["longitude"] = [_("经度 %(v)s 不在我国范围内。") % {"v": longitude}]
    if system not in CoordinateSystem.values:
        errors["coordinate_system"] = [_("坐标系不正确。")]
    return errors


# The tallest building in China has 128 floors above ground.
MAX_BUILDING_FLOORS = 200


@dataclass
class BuildingData:
    org: OrgUnit
    street_address: str
    name: str
    floors: int | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    coordinate_system: str = CoordinateSystem.WGS84


def _building_errors(data: BuildingData, exclude_pk=None) -> dict:
    errors = community_errors(data.org)
    if not _squash(data.street_address):
        errors["street_address"] = [_("请填写门牌地址。")]
    if not _squash(data.name):
        errors["name"] = [_("请填写楼栋名称。")]
    duplicate = Building.objects.filter(street_address=_squash(data.street_address), name=_squash(data.name))
    if exclude_pk:
        duplicate = duplicate.exclude(pk=exclude_pk)
    if duplicate.exists():
        errors["name"] = [_("%(a)s%(n)s 已存在。") % {"a": data.street_address, "n": data.name}]
    if data.floors is not None and not 1 <= data.floors <= MAX_BUILDING_FLOORS:
        errors["floors"] = [_("层数须在 1 到 %(max)d 之间。") % {"max": MAX_BUILDING_FLOORS}]
    errors.update(coordinate_errors(data.latitude, data.longitude, data.coordinate_system))
    errors.update(length_errors(Building, street_address=data.street_address, name=data.name))
    return errors


def _has_occupants(building: Building) -> bool:
    houses = House.objects.filter(building=building)
    return (
        Person.objects.filter(house__in=houses).exists()
        or Household.objects.filter(house__in=houses).exists()
        or Enterprise.objects.filter(house__in=houses).exists()
    )


def building_create(*, actor, data: BuildingData) -> Building:
    require(actor, "registry.add_building", data.org)
    errors = _building_errors(data)
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        building = Building.objects.create(
            org=data.org,
            street_address=_squash(data.street_address),
            name=_squash(data.name),
            floors=data.floors,
            latitude=data.latitude,
            longitude=data.longitude,
            coordinate_system=data.coordinate_system,
            created_by=actor,
        )
        audit.record(
            events.BUILDING_CREATED,
            actor=actor,
            target=building,
            after=audit.snapshot(building, BUILDING_FIELDS),
        )
    return building


def _follow_building(actor, building: Building) -> None:
    """The houses of a building that was renamed or moved to another node: what `house_update` does for one
    house (address, org, residents' address, audit), plus an address-change event in each resident's
    timeline — a few statements for the whole building, then one audit event per house that changed."""
    now, today = timezone.now(), timezone.localdate()
    changed: list[tuple[House, dict]] = []
    old_addresses: dict[int, str] = {}
    moved: list[int] = []
    for house in building.houses.all():
        before = audit.snapshot(house, HOUSE_FIELDS)
        old_address, old_org_id = house.full_address, house.org_id
        house.full_address = house_full_address(
            building.street_address, building.name, house.unit, house.room
        )
        house.org = building.org
        if house.full_address == old_address and house.org_id == old_org_id:
            continue
        house.updated_at = now  # bulk_update does not stamp auto_now fields
        changed.append((house, before))
        if house.full_address != old_address:
            old_addresses[house.pk] = old_address
        if house.org_id != old_org_id:
            moved.append(house.pk)
    if not changed:
        return
    House.objects.bulk_update([house for house, _before in changed], ["full_address", "org", "updated_at"])
    if moved:  # another node: its residents' 人户分离 compares that node's community
        refresh_residence_split(Q(house_id__in=moved))
    if old_addresses:
        new_addresses = {house.pk: house.full_address for house, _before in changed}
        residents = list(Person.objects.filter(house_id__in=old_addresses).values_list("pk", "house_id"))
        Person.objects.filter(house_id__in=old_addresses).update(
            residence_address=Subquery(
                House.objects.filter(pk=OuterRef("house_id")).values("full_address")[:1]
            ),
            updated_at=now,
        )
        summaries = {
            house_id: for_record(
                Message(
                    gettext_noop("楼栋地址变更，住址由“%(a)s”变更为“%(b)s”"),
                    a=old_addresses[house_id],
                    b=new_addresses[house_id],
                )
            )
            for house_id in {house_id for _person_id, house_id in residents}
        }
        timeline = [
            LifeEvent(
                person_id=person_id,
                kind=LifeEventKind.ADDRESS_CHANGE,
                occurred_on=today,
                summary=summaries[house_id][0][:300],
                summary_message=summaries[house_id][1],
                details={"house": house_id, "building": building.pk},
                actor=actor if getattr(actor, "pk", None) else None,
            )
            for person_id, house_id in residents
        ]
        LifeEvent.objects.bulk_create(timeline)
    for house, before in changed:
        audit.record(
            events.HOUSE_CHANGED,
            actor=actor,
            target=house,
            before=before,
            after=audit.snapshot(house, HOUSE_FIELDS),
        )


def building_update(*, actor, building: Building, data: BuildingData) -> Building:
    require(actor, "registry.change_building", building)
    require(actor, "registry.change_building", data.org)
    errors = _building_errors(data, exclude_pk=building.pk)
    if (
        data.org is not None
        and not errors.get("org")
        and not same_community(building.org, data.org)
        and _has_occupants(building)
    ):
        errors["org"] = [_("楼栋内仍有登记的居民、户或企业，不能移至其他社区；请先为其办理迁出或变更地址。")]
    if errors:
        raise ValidationFailed(errors)
    before = audit.snapshot(building, BUILDING_FIELDS)
    with transaction.atomic():
        building.org, building.street_address, building.name = (
            data.org,
            _squash(data.street_address),
            _squash(data.name),
        )
        building.floors, building.latitude, building.longitude = data.floors, data.latitude, data.longitude
        building.coordinate_system = data.coordinate_system
        building.save()
        _follow_building(actor, building)
        audit.record(
            events.BUILDING_CHANGED,
            actor=actor,
            target=building,
            before=before,
            after=audit.snapshot(building, BUILDING_FIELDS),
        )
    return building


@dataclass
class HouseData:
    building: Building | None
    room: str
    unit: str = ""
    use: str = HouseUse.RESIDENTIAL
    ownership: str = Ownership.PRIVATE
    owner_name: str = ""
    area: Decimal | None = None
    is_rented: bool = False
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    coordinate_system: str = CoordinateSystem.WGS84


def _house_values(data: HouseData, exclude_pk=None) -> dict:
    errors: dict[str, list[str]] = {}
    if data.building is None:
        raise ValidationFailed({"building": [_("房屋必须属于一个楼栋，请先登记楼栋。")]})
    if not _squash(data.room):
        errors["room"] = [_("请填写室号。")]
    if data.use not in HouseUse.values:
        errors["use"] = [_("房屋用途不正确。")]
    if data.ownership not in Ownership.values:
        errors["ownership"] = [_("产权性质不正确。")]
    if data.area is not None and not (Decimal("0") < data.area < Decimal("100000")):
        errors["area"] = [_("建筑面积应大于 0 且小于 100000 平方米。")]
    errors.update(coordinate_errors(data.latitude, data.longitude, data.coordinate_system))
    errors.update(length_errors(House, unit=data.unit, room=data.room, owner_name=data.owner_name))
    full_address = house_full_address(data.building.street_address, data.building.name, data.unit, data.room)
    duplicate = House.objects.filter(full_address=full_address)
    if exclude_pk:
        duplicate = duplicate.exclude(pk=exclude_pk)
    if duplicate.exists():
        errors["room"] = [_("房屋 %(a)s 已登记。") % {"a": full_address}]
    if errors:
        raise ValidationFailed(errors)
    return {
        "building": data.building,
        "org": data.building.org,
        "unit": _squash(data.unit),
        "room": _squash(data.room),
        "full_address": full_address,
        "use": data.use,
        "ownership": data.ownership,
        "owner_name": data.owner_name.strip(),
        "area": data.area,
        "is_rented": data.is_rented,
        "latitude": data.latitude if data.latitude is not None else data.building.latitude,
        "longitude": data.longitude if data.longitude is not None else data.building.longitude,
        "coordinate_system": data.coordinate_system
        if data.latitude is not None
        else data.building.coordinate_system,
    }


def house_create(*, actor, data: HouseData) -> House:
    if data.building is not None:
        require(actor, "registry.add_house", data.building)
    values = _house_values(data)
    with transaction.atomic():
        house = House.objects.create(created_by=actor, **values)
        audit.record(
            events.HOUSE_CREATED, actor=actor, target=house, after=audit.snapshot(house, HOUSE_FIELDS)
        )
    return house


def _house_has_occupants(house: House) -> bool:
    return (
        Person.objects.filter(house=house).exists()
        or Household.objects.filter(house=house).exists()
        or Enterprise.objects.filter(house=house).exists()
    )


def house_update(*, actor, house: House, data: HouseData) -> House:
    require(actor, "registry.change_house", house)
    if data.building is not None:
        require(actor, "registry.change_house", data.building)
    # Like a building (`building_update`): residents of one community must not end up in a house of another.
    moving = {}
    if (
        data.building is not None
        and not same_community(house.org, data.building.org)
        and _house_has_occupants(house)
    ):
        moving = {
            "building": [
                _("房屋内仍有登记的居民、户或企业，不能移至其他社区的楼栋；请先为其办理迁出或变更地址。")
            ]
        }
    try:
        values = _house_values(data, exclude_pk=house.pk)
    except ValidationFailed as error:
        raise ValidationFailed(merge_errors(moving, error.errors)) from None
    if moving:
        raise ValidationFailed(moving)
    before = audit.snapshot(house, HOUSE_FIELDS)
    old_address, old_org_id = house.full_address, house.org_id
    with transaction.atomic():
        for name, value in values.items():
            setattr(house, name, value)
        house.save()
        if house.org_id != old_org_id:
            # another building's node: its residents' 人户分离 compares that node's community
            refresh_residence_split(house.residents.all())
        if house.full_address != old_address:
            # the residents' address follows, and their timelines say so (as for a renamed building)
            residents = list(house.residents.values_list("pk", flat=True))
            house.residents.update(residence_address=house.full_address, updated_at=timezone.now())
            summary, summary_message = for_record(
                Message(gettext_noop("住址由“%(a)s”变更为“%(b)s”"), a=old_address, b=house.full_address)
            )
            LifeEvent.objects.bulk_create(
                LifeEvent(
                    person_id=pk,
                    kind=LifeEventKind.ADDRESS_CHANGE,
                    occurred_on=timezone.localdate(),
                    summary=summary[:300],
                    summary_message=summary_message,
                    details={"house": house.pk},
                    actor=actor if getattr(actor, "pk", None) else None,
                )
                for pk in residents
            )
        audit.record(
            events.HOUSE_CHANGED,
            actor=actor,
            target=house,
            before=before,
            after=audit.snapshot(house, HOUSE_FIELDS),
        )
    return house
