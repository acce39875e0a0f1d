"""Population statistics, computed in the database.

Every figure starts from `visible_to(user, "registry.view_person")`: a statistic is a view of persons, so the
user's person scope decides which households, migrants and tags are counted too. Nine or ten queries: the
persons per org node (the community bars) and per age band and gender (the pyramid) — one GROUP BY on
PostgreSQL, two queries that sort nothing on SQLite —, one GROUP BY of the persons by org and 人户分离
category, one GROUP BY over migrants (org × origin province) for the migrant figures, then household sizes,
tags, enterprises and the org names. Python only loops over org nodes and grouped rows, never over persons (bench/bench_registry_pages.py has the figures for 1,000,000
persons). That is still about a second for a district: the page reads the same tallies from a snapshot of
per-org counts when there is one (`snapshots`), and counts live here only without one.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from django.db import connection
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from jiedao.dictionaries import selectors as dictionaries
from jiedao.orgs.choices import OrgLevel
from jiedao.orgs.models import OrgUnit
from jiedao.registry.choices import EnterpriseStatus, PersonStatus, ResidenceSplit
from jiedao.registry.models import Enterprise, Household, Migrant, Person, SpecialGroupTag
from jiedao.registry.selectors import shift_years
from jiedao.registry.statistics.regions import province_name

PERMISSION = "registry.view_person"
BAND_YEARS = 5
OLDEST_BAND_START = 85  # the last band is "85+"
BAND_COUNT = OLDEST_BAND_START // BAND_YEARS + 1
LARGEST_SIZE = 6  # households of 6 or more members share one bucket
TOP_ORIGINS = 10
MALE, FEMALE = "1", "2"


def band_labels() -> list[str]:
    labels = [f"{start}-{start + BAND_YEARS - 1}" for start in range(0, OLDEST_BAND_START, BAND_YEARS)]
    return [*labels, f"{OLDEST_BAND_START}+"]


def org_choices(user) -> QuerySet[OrgUnit]:
    """Nodes a user may narrow the statistics to: sub-districts, communities and grids in scope."""
    return (
        OrgUnit.objects.visible_to(user, PERMISSION).filter(level__gte=OrgLevel.SUBDISTRICT).order_by("path")
    )


def narrow(queryset: QuerySet, field: str, org_ids: list[int] | None) -> QuerySet:
    return queryset if org_ids is None else queryset.filter(**{f"{field}__in": org_ids})


def band_range(today: date, index: int) -> Q:
    """The birth dates of band `index` (0 = 0–4 years … 17 = 85+): age ≥ N ⇔ born on or before today − N
    years."""
    condition = Q()
    if index < BAND_COUNT - 1:
        condition &= Q(birth_date__gt=shift_years(today, (index + 1) * BAND_YEARS))
    if index > 0:
        condition &= Q(birth_date__lte=shift_years(today, index * BAND_YEARS))
    return condition


def age_band(today: date) -> Case:
    """Band index from `birth_date`, as `band_range` delimits the bands."""
    whens = [
        When(birth_date__gt=shift_years(today, (index + 1) * BAND_YEARS), then=Value(index))
        for index in range(BAND_COUNT - 1)
    ]
    return Case(*whens, default=Value(BAND_COUNT - 1), output_field=IntegerField())


def _persons_by_org_band_gender(persons: QuerySet, today: date) -> tuple[dict[int, int], dict]:
    """Living persons per org node, and the pyramid (band × gender)."""
    persons = persons.order_by()
    male = [0] * BAND_COUNT
    female = [0] * BAND_COUNT
    if connection.vendor != "sqlite":
        # One pass, grouped by (org, band, gender): PostgreSQL aggregates it in a hash table. COUNT(*), not
        # COUNT(id): every column read is in registry_person_org_age, so the pass is an index-only scan of it
        # instead of a scan of the wide table (a district's 1,000,000 persons: 0.9 s → 0.3 s on a busy host).
        by_org: Counter[int] = Counter()
        rows = (
            persons.annotate(band=age_band(today)).values("org_id", "band", "gender").annotate(n=Count("*"))
        )
        for row in rows:  # at most (org nodes × bands × 2) rows
            by_org[row["org_id"]] += row["n"]
            if row["gender"] == MALE:
                male[row["band"]] += row["n"]
            elif row["gender"] == FEMALE:
                female[row["band"]] += row["n"]
        return dict(by_org), {"bands": band_labels(), "male": male, "female": female}
    # SQLite groups by sorting: grouping 1,000,000 persons by (org, band, gender) took 0.94 s for a district.
    # Two queries that read only the (org, status, birth_date, gender) index and sort nothing take 0.18 s:
    # the counts per org come out in the index's order, and each band is one aggregate over its own
    # birth-date range (one UNION ALL statement). On PostgreSQL the eighteen ranges took longer than the
    # hashed grouping.
    by_org = {row["org_id"]: row["n"] for row in persons.values("org_id").annotate(n=Count("pk"))}
    bands = [
        persons.filter(band_range(today, index))
        .annotate(band=Value(index, output_field=IntegerField()))
        .values("band")
        .annotate(male=Count("pk", filter=Q(gender=MALE)), female=Count("pk", filter=Q(gender=FEMALE)))
        for index in range(BAND_COUNT)
    ]
    for row in bands[0].union(*bands[1:], all=True):
        male[row["band"]] = row["male"]
        female[row["band"]] = row["female"]
    return by_org, {"bands": band_labels(), "male": male, "female": female}


def _migrants_by_org_province(migrants: QuerySet) -> tuple[dict[int, int], Counter[str]]:
    """One pass over the migrants: migrants per org node, and per origin province."""
    by_org: Counter[int] = Counter()
    by_province: Counter[str] = Counter()
    if connection.vendor == "sqlite":
        # A range on the migrant's own key (always true) makes SQLite read the 150,000 migrants and look up
        # their persons, instead of reading the district's 1,000,000 persons by the scope index and looking
        # up a migrant for each: 0.43 s → 0.16 s. PostgreSQL chooses a hash join by itself.
        migrants = migrants.filter(pk__gt=0)
    rows = (
        migrants.order_by()
        .annotate(province=Substr("origin_region_code", 1, 2))
        .values("person__org_id", "province")
        .annotate(n=Count("pk"))
    )
    for row in rows:  # at most (org nodes × provinces) rows
        by_org[row["person__org_id"]] += row["n"]
        by_province[row["province"] or ""] += row["n"]
    return dict(by_org), by_province


def _residence_by_org(persons: QuerySet) -> dict[int, dict[str, int]]:
    """Living persons per org node and 人户分离 category (`ResidenceRule`); those in none are left out."""
    by_org: dict[int, dict[str, int]] = {}
    rows = (
        persons.order_by()
        .with_residence_split()
        .values("org_id", "live_residence_split")
        .annotate(n=Count("*"))
    )
    for row in rows:  # at most (org nodes × 4) rows
        if row["live_residence_split"]:
            by_org.setdefault(row["org_id"], {})[row["live_residence_split"]] = row["n"]
    return by_org


def _residence_row(counts: dict[str, int] | None = None) -> dict[str, int]:
    counts = counts or {}
    return {split: counts.get(split, 0) for split in ResidenceSplit.values}


def _community_breakdown(
    user,
    org_ids: list[int] | None,
    persons: dict[int, int],
    migrants: dict[int, int],
    residence: dict[int, dict[str, int]],
) -> tuple[list[dict], list[dict]]:
    """Living persons, migrants and the 人户分离 categories per community, and per grid when only one community
    is in view."""
    nodes = {
        node.pk: node
        for node in OrgUnit.objects.filter(pk__in=set(persons) | set(migrants)).only(
            "pk", "name", "level", "parent_id", "path"
        )
    }
    visible = OrgUnit.objects.visible_to(user, PERMISSION).filter(level__gte=OrgLevel.COMMUNITY)
    visible = narrow(visible, "pk", org_ids).only("pk", "name", "level", "parent_id", "path")
    for node in visible:
        nodes.setdefault(node.pk, node)

    def community_id(node: OrgUnit) -> int:
        return node.parent_id if node.level == OrgLevel.GRID else node.pk

    community_ids = {community_id(node) for node in nodes.values() if node.level >= OrgLevel.COMMUNITY}
    communities = list(OrgUnit.objects.filter(pk__in=community_ids).order_by("path").only("pk", "name"))
    totals = {
        c.pk: {"id": c.pk, "name": c.name, "count": 0, "migrants": 0, "residence": _residence_row()}
        for c in communities
    }
    for node_id, node in nodes.items():
        row = totals.get(community_id(node))
        if row is not None:
            row["count"] += persons.get(node_id, 0)
            row["migrants"] += migrants.get(node_id, 0)
            for split, n in residence.get(node_id, {}).items():
                row["residence"][split] += n
    by_community = list(totals.values())

    by_grid: list[dict] = []
    if len(communities) == 1:
        grids = sorted(
            (node for node in nodes.values() if node.level == OrgLevel.GRID), key=lambda node: node.path
        )
        by_grid = [
            {
                "id": g.pk,
                "name": g.name,
                "count": persons.get(g.pk, 0),
                "migrants": migrants.get(g.pk, 0),
                "residence": _residence_row(residence.get(g.pk)),
            }
            for g in grids
        ]
        community = communities[0]
        direct = persons.get(community.pk, 0)
        if direct:
            by_grid.append(
                {
                    "id": community.pk,
                    "name": _("未划分网格"),
                    "count": direct,
                    "migrants": migrants.get(community.pk, 0),
                    "residence": _residence_row(residence.get(community.pk)),
                }
            )
    return by_community, by_grid


def household_sizes(households: QuerySet) -> list[int]:
    """Households of 1, 2 … LARGEST_SIZE or more members."""
    buckets = {
        f"s{size}": Count("pk", filter=Q(size=size) if size < LARGEST_SIZE else Q(size__gte=size))
        for size in range(1, LARGEST_SIZE + 1)
    }
    counts = households.order_by().annotate(size=Count("members")).aggregate(**buckets)
    return [counts[f"s{size}"] or 0 for size in range(1, LARGEST_SIZE + 1)]


def _origins(by_province: Counter[str], total: int) -> list[dict]:
    top = sorted(by_province.items(), key=lambda item: (-item[1], item[0]))[:TOP_ORIGINS]
    return [
        {
            "code": code,
            "name": province_name(code),
            "count": n,
            "share": round(n * 100 / total, 1) if total else 0.0,
        }
        for code, n in top
    ]


def _special_group_counts(tags: QuerySet) -> dict[str, int]:
    return {
        row["group"]: row["n"]
        for row in tags.order_by().values("group").annotate(n=Count("person", distinct=True))
    }


def _special_groups(counts: dict[str, int]) -> list[dict]:
    entries = dictionaries.items("special_group", active_only=False)
    known = {entry.code for entry in entries}
    rows = [
        {"code": entry.code, "label": entry.name, "count": counts.get(entry.code, 0)}
        for entry in entries
        if entry.is_active or counts.get(entry.code)
    ]
    rows += [
        {"code": code, "label": code, "count": n} for code, n in sorted(counts.items()) if code not in known
    ]
    return rows


@dataclass
class Tallies:
    """The counts every figure of the page is drawn from: counted live (`live_tallies`) or summed from a
    snapshot's rows (`snapshots.snapshot_tallies`)."""

    persons_by_org: dict[int, int]  # living persons per org node
    male: list[int]  # per age band
    female: list[int]
    migrants_by_org: dict[int, int]
    by_province: Counter[str]  # migrants per origin province
    household_sizes: list[int]  # households of 1, 2 … LARGEST_SIZE or more members
    special_groups: dict[str, int]  # living persons per special group (code)
    enterprises: int
    residence_by_org: dict[int, dict[str, int]]  # living persons per org node and 人户分离 category


def live_tallies(user, org_ids: list[int] | None, today: date) -> Tallies:
    """The tallies counted from the registry now: five aggregations of the persons (and their households,
    migrants and tags) in view."""
    persons = narrow(
        Person.objects.visible_to(user, PERMISSION).filter(status=PersonStatus.LIVING), "org_id", org_ids
    )
    migrants = narrow(
        Migrant.objects.visible_to(user, PERMISSION).filter(person__status=PersonStatus.LIVING),
        "person__org_id",
        org_ids,
    )
    households = narrow(
        Household.objects.visible_to(user, PERMISSION).filter(dissolved_on__isnull=True), "org_id", org_ids
    )
    tags = narrow(
        SpecialGroupTag.objects.visible_to(user, PERMISSION)
        .filter(SpecialGroupTag.valid_on(today))
        .filter(person__status=PersonStatus.LIVING),
        "person__org_id",
        org_ids,
    )
    enterprises = narrow(
        Enterprise.objects.visible_to(user, PERMISSION).filter(status=EnterpriseStatus.OPERATING),
        "org_id",
        org_ids,
    )
    persons_by_org, pyramid = _persons_by_org_band_gender(persons, today)
    residence_by_org = _residence_by_org(persons)
    migrants_by_org, by_province = _migrants_by_org_province(migrants)
    return Tallies(
        persons_by_org=persons_by_org,
        male=pyramid["male"],
        female=pyramid["female"],
        migrants_by_org=migrants_by_org,
        by_province=by_province,
        household_sizes=household_sizes(households),
        special_groups=_special_group_counts(tags),
        enterprises=enterprises.count(),
        residence_by_org=residence_by_org,
    )


def figures(user, org: OrgUnit | None, org_ids: list[int] | None, tallies: Tallies, as_of: date) -> dict:
    """Every figure of the statistics page from its tallies, JSON-serialisable."""
    living = sum(tallies.persons_by_org.values())
    migrant_total = sum(tallies.migrants_by_org.values())
    by_community, by_grid = _community_breakdown(
        user, org_ids, tallies.persons_by_org, tallies.migrants_by_org, tallies.residence_by_org
    )
    residence = _residence_row()
    for counts in tallies.residence_by_org.values():
        for split, n in counts.items():
            residence[split] += n
    return {
        "as_of": as_of.isoformat(),
        "org": {"id": org.pk, "name": org.name} if org is not None else None,
        "summary": {
            "persons": living,
            "households": sum(tallies.household_sizes),
            "migrants": migrant_total,
            "enterprises": tallies.enterprises,
        },
        "by_community": by_community,
        "by_grid": by_grid,
        "pyramid": {"bands": band_labels(), "male": tallies.male, "female": tallies.female},
        "households": {
            "sizes": [str(size) for size in range(1, LARGEST_SIZE)] + [f"{LARGEST_SIZE}+"],
            "counts": tallies.household_sizes,
        },
        "migrants": {
            "living": living,
            "migrants": migrant_total,
            "share": round(migrant_total * 100 / living, 1) if living else 0.0,
            "origins": _origins(tallies.by_province, migrant_total),
        },
        "special_groups": _special_groups(tallies.special_groups),
        "residence": residence,
    }


def compute(user, org: OrgUnit | None = None, today: date | None = None) -> dict:
    """Every figure of the statistics page counted live. `org` narrows to a node the caller has already
    checked is in the user's scope (see `org_choices`)."""
    today = today or timezone.localdate()
    org_ids = OrgUnit.objects.subtree_ids([org]) if org is not None else None
    return figures(user, org, org_ids, live_tallies(user, org_ids, today), today)
