"""楼盘表 (以房管人): a building's rooms laid out by floor and unit, each with its use or occupancy, how many
live there and what a grid worker must notice, read in a fixed number of queries whatever the building's size.
The page and `GET /api/v1/buildings/{id}/grid/` both read it here; only the API lists the occupants.
A reader who may see 入户走访核查 also sees each room's last visit (day and finding) and which rooms are due
for a visit, as 待核查房屋 decides (`selectors.houses_due_for_visit`, read into the rooms' query rather than
re-stated here).

The house has no floor of its own: it is read from the room number as Chinese buildings number rooms
(1203 → 12层, 301 → 3层); a room numbered otherwise (B101, 商铺3) goes to the 其他 row rather than a guess.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import models
from django.db.models import Count, Exists, OuterRef, Q, Value
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jiedao.core.scope import has_permission
from jiedao.registry.choices import HouseRelation, HouseUse, PersonStatus, VisitResult
from jiedao.registry.home_panels import PERMIT_WARNING_DAYS
from jiedao.registry.models import Building, Migrant, Person, SpecialGroupTag
from jiedao.registry.selectors import (
    houses_due_for_visit,
    houses_for,
    persons_for,
    visit_due_cutoff,
    with_last_visit,
)

# floor (1–3 digits) then a two-digit room: 301, 1203, 0301; full-width digits and a trailing 室 accepted
ROOM_NUMBER = re.compile(r"^(\d{1,3})(\d{2})室?$")
FIRST_NUMBER = re.compile(r"\d+")


class Occupancy(models.TextChoices):
    """What a room is used for now, as the grid shows it: a shop before anything else, then a let room (the
    tenants are who a grid worker visits), then whether anyone lives there."""

    COMMERCIAL = "commercial", _("商用")
    RENTED = "rented", _("出租")
    SELF = "self", _("自住")
    VACANT = "vacant", _("空置")


class Marker(models.TextChoices):
    ELDERLY_ALONE = "elderly_alone", _("独居老人")
    HARDSHIP = "hardship", _("低保/特困")
    DISABLED = "disabled", _("残疾人")
    MIGRANT = "migrant", _("流动人口")
    PERMIT_DUE = "permit_due", _("居住证已过期或将到期")

    @property
    def sign(self) -> str:
        """The one character a cell shows; the full name is read out to screen readers beside it."""
        return str(MARKER_SIGNS[self])


MARKER_SIGNS = {
    Marker.ELDERLY_ALONE: pgettext_lazy("楼盘表标记", "独"),
    Marker.HARDSHIP: pgettext_lazy("楼盘表标记", "困"),
    Marker.DISABLED: pgettext_lazy("楼盘表标记", "残"),
    Marker.MIGRANT: pgettext_lazy("楼盘表标记", "流"),
    Marker.PERMIT_DUE: pgettext_lazy("楼盘表标记", "证"),
}
# 出租无人登记: a let room where nobody is registered as living — who lives there is what the visit finds out
UNREGISTERED_RENTAL = _("出租无人登记")
UNREGISTERED_RENTAL_SIGN = pgettext_lazy("楼盘表标记", "无人登记")

# A visit's finding in the few characters a cell has room for; the full result is read out beside it.
VISIT_RESULT_SIGNS = {
    VisitResult.CONFIRMED: pgettext_lazy("楼盘表核查结果", "属实"),
    VisitResult.CORRECTED: pgettext_lazy("楼盘表核查结果", "已更正"),
    VisitResult.SEPARATED: pgettext_lazy("楼盘表核查结果", "人户分离"),
    VisitResult.VACANT: pgettext_lazy("楼盘表核查结果", "空置"),
    VisitResult.NO_ANSWER: pgettext_lazy("楼盘表核查结果", "无人应门"),
    VisitResult.REFUSED: pgettext_lazy("楼盘表核查结果", "拒绝配合"),
}

TAG_MARKERS = {
    "elderly_alone": Marker.ELDERLY_ALONE,
    "dibao": Marker.HARDSHIP,
    "tekun": Marker.HARDSHIP,
    "disabled": Marker.DISABLED,
}


@dataclass(frozen=True)
class RoomMark:
    marker: Marker
    count: int


@dataclass(frozen=True)
class Occupant:
    """A resident as the API lists them: masked numbers only, like every list."""

    person_id: int
    name: str
    id_number_masked: str
    phone_masked: str
    house_relation: str

    @property
    def house_relation_display(self) -> str:
        return str(dict(HouseRelation.choices).get(self.house_relation, self.house_relation))


@dataclass(frozen=True)
class Room:
    house_id: int
    unit: str
    room: str
    occupancy: Occupancy
    residents: int
    marks: tuple[RoomMark, ...]
    full_address: str = ""
    use: str = HouseUse.RESIDENTIAL
    is_rented: bool = False
    unregistered_rental: bool = False  # 出租无人登记
    # 入户走访核查, None when the reader may not see visits: due as 待核查房屋 decides, the latest visit's day and
    # what it found
    visit_due: bool | None = None
    last_visited_on: date | None = None
    last_visit_result: str | None = None  # a VisitResult
    occupants: tuple[Occupant, ...] = ()  # read only when asked for (`building_grid(occupants=True)`)

    @property
    def last_visit_result_display(self) -> str:
        return VisitResult.label_of(self.last_visit_result)

    @property
    def last_visit_result_sign(self) -> str:
        code = self.last_visit_result
        return str(VISIT_RESULT_SIGNS.get(code, code)) if code else ""


@dataclass
class FloorRow:
    floor: int | None  # None: the 其他 row, rooms whose number gives no floor
    cells: list[list[Room]]  # one list per unit, in the grid's unit order


@dataclass
class GridSummary:
    rooms: int = 0
    occupied: int = 0
    rented: int = 0
    vacant: int = 0
    commercial: int = 0
    residents: int = 0
    migrants: int = 0
    unregistered_rentals: int = 0  # rooms 出租无人登记
    visit_due: int | None = None  # rooms 待核查; None when the reader may not see visits
    # persons behind each marker (rooms for none: a room with two 独居老人 is two people to visit)
    marked: dict[Marker, int] = field(default_factory=dict)


@dataclass
class BuildingGrid:
    building: Building
    units: list[str]  # "" is a room registered without a unit
    rows: list[FloorRow]
    summary: GridSummary
    markers: list[Marker]  # the markers this reader may see, for the legend
    shows_visits: bool = (
        False  # the reader may see 入户走访核查: rooms carry `visit_due`, the summary counts them
    )


def floor_of(room: str, top_floor: int | None = None) -> int | None:
    """The floor a room number names (1203 → 12), or None when it names none or one above the building."""
    match = ROOM_NUMBER.match(unicodedata.normalize("NFKC", room).strip())
    if not match:
        return None
    floor = int(match.group(1))
    if floor < 1 or (top_floor and floor > top_floor):
        return None
    return floor


def natural_key(text: str) -> tuple:
    """Orders 2单元 before 10单元 and 302 before 1201; text without a number after those with one."""
    number = FIRST_NUMBER.search(unicodedata.normalize("NFKC", text))
    return (number is None, int(number.group()) if number else 0, text)


def occupancy_of(use: str, is_rented: bool, residents: int) -> Occupancy:
    if use == HouseUse.COMMERCIAL:
        return Occupancy.COMMERCIAL
    if is_rented or use == HouseUse.RENTAL:
        return Occupancy.RENTED
    return Occupancy.SELF if residents else Occupancy.VACANT


def is_unregistered_rental(use: str, is_rented: bool, residents: int) -> bool:
    """出租无人登记: let out (marked 出租 or used as a rental) yet nobody registered as living there. A shop is
    left out: nobody is expected to live in it. `unregistered_rentals` is the same rule for a query."""
    return use != HouseUse.COMMERCIAL and (is_rented or use == HouseUse.RENTAL) and residents == 0


def unregistered_rentals() -> Q:
    """`is_unregistered_rental` as a condition on houses (the house list's 出租无人登记 filter). Residents
    moved out, deceased or merged into another record (已合并) do not count, as in the grid."""
    living = Person.objects.filter(house=OuterRef("pk"), status=PersonStatus.LIVING)
    return (Q(is_rented=True) | Q(use=HouseUse.RENTAL)) & ~Q(use=HouseUse.COMMERCIAL) & ~Exists(living)


def _tagged_persons(user, building: Building, today: date) -> dict[int, dict[Marker, set[int]]]:
    """The living residents behind each special-group marker, by house, as far as the reader may see tags."""
    rows = (
        SpecialGroupTag.objects.visible_to(user, "view")
        .filter(SpecialGroupTag.valid_on(today))
        .filter(group__in=TAG_MARKERS, person__house__building=building, person__status=PersonStatus.LIVING)
        .values_list("person__house_id", "group", "person_id")
        .order_by()  # the tags' default order (the person's name) would join the DISTINCT
        .distinct()
    )
    found: dict[int, dict[Marker, set[int]]] = defaultdict(lambda: defaultdict(set))
    for house_id, group, person_id in rows:
        found[house_id][TAG_MARKERS[group]].add(person_id)
    return found


def _migrants(user, building: Building, today: date) -> dict[int, tuple[int, int]]:
    """(migrants, of them with a permit expired or expiring soon) by house, as far as the reader may see."""
    due = today + timedelta(days=PERMIT_WARNING_DAYS)
    rows = (
        Migrant.objects.visible_to(user, "view")
        .filter(person__house__building=building, person__status=PersonStatus.LIVING)
        .values("person__house_id")
        .annotate(total=Count("pk"), due=Count("pk", filter=Q(permit_valid_until__lte=due)))
        .order_by()
    )
    return {row["person__house_id"]: (row["total"], row["due"]) for row in rows}


def _occupants(user, building: Building) -> dict[int, list[Occupant]]:
    """The living residents the reader may see, by house (none without the permission to see persons)."""
    rows = (
        persons_for(user)
        .filter(house__building=building, status=PersonStatus.LIVING)
        .values_list("house_id", "pk", "name", "id_number_masked", "phone_masked", "house_relation")
        .order_by("house_relation", "name", "pk")  # as the house page lists them
    )
    found: dict[int, list[Occupant]] = defaultdict(list)
    for house_id, *person in rows:
        found[house_id].append(Occupant(*person))
    return found


def _visible_markers(user) -> list[Marker]:
    markers = []
    if has_permission(user, "registry.view_specialgrouptag"):
        markers += [Marker.ELDERLY_ALONE, Marker.HARDSHIP, Marker.DISABLED]
    if has_permission(user, "registry.view_migrant"):
        markers += [Marker.MIGRANT, Marker.PERMIT_DUE]
    return markers


def building_grid(
    user,
    building: Building,
    *,
    today: date | None = None,
    occupants: bool = False,
    cutoff: date | None = None,
) -> BuildingGrid:
    """The 楼盘表 of `building` for `user`: the houses they may see, by floor (top first, the 其他 row last)
    and unit, with counts and markers from the tags and migrants they may see. Three queries for the rooms,
    tags and migrants, whatever the number of rooms; `occupants` (the API) adds one for the residents'
    names and masked numbers, which the page never shows. A reader who may see visits gets each room's
    latest visit and whether it is due within the rooms' query (plus, at most, the visit interval
    parameter's read, cached per process); `cutoff` is that of 待核查房屋 (`visit_due_cutoff()`)."""
    today = today or timezone.localdate()
    living = Q(residents__status=PersonStatus.LIVING)
    houses = (
        houses_for(user)
        .filter(building=building)
        .annotate(
            resident_count=Count("residents", filter=living),
            tenant_count=Count(
                "residents", filter=living & Q(residents__house_relation=HouseRelation.TENANT)
            ),
        )
        .order_by()
    )
    shows_visits = has_permission(user, "registry.view_housevisit")
    if shows_visits:
        # the work list's own queryset, so that a room is marked exactly when 待核查房屋 lists it
        due = houses_due_for_visit(user, cutoff=cutoff or visit_due_cutoff(today))
        houses = with_last_visit(houses).annotate(visit_due=Exists(due.filter(pk=OuterRef("pk"))))
    else:
        houses = houses.annotate(
            last_visited_on=Value(None, models.DateField()),
            last_visit_result=Value(None, models.CharField()),
            visit_due=Value(None, models.BooleanField()),
        )
    houses = houses.values_list(
        "pk",
        "unit",
        "room",
        "full_address",
        "use",
        "is_rented",
        "resident_count",
        "tenant_count",
        "last_visited_on",
        "last_visit_result",
        "visit_due",
    )
    markers = _visible_markers(user)
    tagged = _tagged_persons(user, building, today) if Marker.ELDERLY_ALONE in markers else {}
    migrants = _migrants(user, building, today) if Marker.MIGRANT in markers else {}
    listed = _occupants(user, building) if occupants else {}

    summary = GridSummary(marked=dict.fromkeys(markers, 0), visit_due=0 if shows_visits else None)
    placed: dict[tuple[int | None, str], list[Room]] = defaultdict(list)
    units: set[str] = set()
    top = 0
    for pk, unit, room, address, use, is_rented, residents, tenants, visited_on, finding, visit_due in houses:
        marks = []
        for marker, persons in sorted(tagged.get(pk, {}).items(), key=lambda item: markers.index(item[0])):
            marks.append(RoomMark(marker, len(persons)))
            summary.marked[marker] += len(persons)
        moved_in, due = migrants.get(pk, (0, 0))
        for marker, count in ((Marker.MIGRANT, moved_in), (Marker.PERMIT_DUE, due)):
            if count:
                marks.append(RoomMark(marker, count))
                summary.marked[marker] += count
        # a registered tenant makes the room let even when the house record was never marked 出租
        occupancy = occupancy_of(use, is_rented or tenants > 0, residents)
        floor = floor_of(room, building.floors)
        unregistered = is_unregistered_rental(use, is_rented, residents)
        placed[floor, unit].append(
            Room(
                pk,
                unit,
                room,
                occupancy,
                residents,
                tuple(marks),
                full_address=address,
                use=use,
                is_rented=is_rented,
                unregistered_rental=unregistered,
                visit_due=bool(visit_due) if shows_visits else None,
                last_visited_on=visited_on,
                last_visit_result=finding,
                occupants=tuple(listed.get(pk, ())),
            )
        )
        units.add(unit)
        top = max(top, floor or 0)
        summary.rooms += 1
        summary.residents += residents
        summary.migrants += moved_in
        summary.occupied += residents > 0
        summary.rented += occupancy == Occupancy.RENTED
        summary.vacant += occupancy == Occupancy.VACANT
        summary.commercial += occupancy == Occupancy.COMMERCIAL
        summary.unregistered_rentals += unregistered
        if shows_visits:
            summary.visit_due += bool(visit_due)

    ordered_units = sorted(units, key=lambda unit: (unit == "", natural_key(unit)))
    floors: list[int | None] = list(range(max(top, building.floors or 0), 0, -1))
    if any(floor is None for floor, _unit in placed):
        floors.append(None)
    rows = [
        FloorRow(
            floor,
            [
                sorted(placed.get((floor, unit), []), key=lambda r: natural_key(r.room))
                for unit in ordered_units
            ],
        )
        for floor in floors
    ]
    return BuildingGrid(building, ordered_units, rows, summary, markers, shows_visits=shows_visits)
