"""Precomputed statistics: the page's counts per org node, refreshed in the background.

Counting a district of 1,000,000 persons takes four full aggregations (about 1 s on PostgreSQL) on every
request. A snapshot stores, for every org node, the counts of each bucket the page shows — living persons per
age band and gender, migrants per origin province, households per size, persons per special group, operating
enterprises, living persons per 人户分离 category — as a few dozen `StatisticsCount` rows a node. A page then
sums the rows of the nodes the user may see (their scope, narrowed to the `?org=` subtree): the same figures as
counting live, as of the snapshot's time, which the page shows ("数据截至 …").

Freshness: the scheduler refreshes hourly (`registry.schedules`), a finished registry import queues a refresh,
and a user with `registry.refresh_statisticssnapshot` may queue one from the page. Without a snapshot, or for
a user whose scope includes records they created themselves (not divisible by org node), the page counts
live.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime

from django.db import transaction
from django.db.models import Case, Count, F, Sum, Value, When
from django.db.models.functions import Substr
from django.utils import timezone

from jiedao.core.scope import require, scope_for
from jiedao.orgs.models import OrgUnit
from jiedao.registry.choices import EnterpriseStatus, PersonStatus, StatisticsKind
from jiedao.registry.models import (
    Enterprise,
    Household,
    Migrant,
    Person,
    SpecialGroupTag,
    StatisticsCount,
    StatisticsSnapshot,
)
from jiedao.registry.statistics import figures
from jiedao.registry.statistics.figures import BAND_COUNT, FEMALE, LARGEST_SIZE, MALE, PERMISSION, Tallies

REFRESH_PERMISSION = "registry.refresh_statisticssnapshot"
Row = tuple[int, str, str, int]  # (org node, kind, key, count) of a StatisticsCount


def _person_counts(today: date) -> Iterator[Row]:
    rows = (
        Person.objects.filter(status=PersonStatus.LIVING)
        .order_by()
        .annotate(band=figures.age_band(today))
        .values("org_id", "band", "gender")
        .annotate(n=Count("*"))  # an index-only scan, as the live count (see `figures`)
    )
    for row in rows:
        yield row["org_id"], StatisticsKind.PERSON, f"{row['band']}:{row['gender']}", row["n"]


def _migrant_counts() -> Iterator[Row]:
    rows = (
        Migrant.objects.filter(person__status=PersonStatus.LIVING)
        .order_by()
        .annotate(province=Substr("origin_region_code", 1, 2))
        .values("person__org_id", "province")
        .annotate(n=Count("pk"))
    )
    for row in rows:
        yield row["person__org_id"], StatisticsKind.MIGRANT, row["province"] or "", row["n"]


def _household_counts() -> Iterator[Row]:
    # One count per org node, the way the live page counts (households joined to their members, grouped per
    # household): a correlated member count per household took four times as long.
    households = Household.objects.filter(dissolved_on__isnull=True)
    org_ids = households.order_by().values_list("org_id", flat=True).distinct()
    for org_id in org_ids:
        sizes = figures.household_sizes(households.filter(org_id=org_id))
        for size, n in enumerate(sizes, start=1):
            if n:
                yield org_id, StatisticsKind.HOUSEHOLD, str(size), n


def _tag_counts(today: date) -> Iterator[Row]:
    rows = (
        SpecialGroupTag.objects.filter(SpecialGroupTag.valid_on(today), person__status=PersonStatus.LIVING)
        .order_by()
        .values("person__org_id", "group")
        .annotate(n=Count("person", distinct=True))
    )
    for row in rows:
        yield row["person__org_id"], StatisticsKind.TAG, row["group"], row["n"]


def _residence_counts() -> Iterator[Row]:
    rows = (
        Person.objects.filter(status=PersonStatus.LIVING)
        .order_by()
        .with_residence_split()
        .values("org_id", "live_residence_split")
        .annotate(n=Count("*"))
    )
    for row in rows:
        if row["live_residence_split"]:  # in none of the categories
            yield row["org_id"], StatisticsKind.RESIDENCE, row["live_residence_split"], row["n"]


def _enterprise_counts() -> Iterator[Row]:
    rows = (
        Enterprise.objects.filter(status=EnterpriseStatus.OPERATING)
        .order_by()
        .values("org_id")
        .annotate(n=Count("pk"))
    )
    for row in rows:
        yield row["org_id"], StatisticsKind.ENTERPRISE, "", row["n"]


def refresh(requested_at: datetime | None = None) -> StatisticsSnapshot | None:
    """Count every org node's figures into a new snapshot and drop the older ones. A refresh requested at
    `requested_at` is skipped (None) when a snapshot taken since already answers it: clicks and imports
    that queue refreshes while one runs cost one more refresh, not one each."""
    latest = StatisticsSnapshot.objects.order_by("-taken_at").first()
    if requested_at is not None and latest is not None and latest.taken_at >= requested_at:
        return None
    taken_at = timezone.now()
    today = timezone.localdate(taken_at)
    rows = [
        *_person_counts(today),
        *_migrant_counts(),
        *_household_counts(),
        *_tag_counts(today),
        *_enterprise_counts(),
        *_residence_counts(),
    ]
    with transaction.atomic():
        snapshot = StatisticsSnapshot.objects.create(taken_at=taken_at, as_of=today)
        StatisticsCount.objects.bulk_create(
            (
                StatisticsCount(snapshot=snapshot, org_id=org_id, kind=kind, key=key, count=n)
                for org_id, kind, key, n in rows
            ),
            batch_size=2000,
        )
        # A refresh that started later and committed first keeps its newer snapshot.
        StatisticsSnapshot.objects.filter(taken_at__lt=taken_at).delete()
    return snapshot


def queue_refresh() -> None:
    """Queue a refresh once the caller's transaction commits (after an import, or asked for on the page)."""
    from jiedao.registry.tasks import refresh_statistics  # the task module imports this one

    requested_at = timezone.now().isoformat()
    transaction.on_commit(lambda: refresh_statistics.enqueue(requested_at))


def request_refresh(actor) -> None:
    """The page's "立即刷新": for users with `registry.refresh_statisticssnapshot`."""
    require(actor, REFRESH_PERMISSION, None)
    queue_refresh()


def usable_snapshot(user) -> StatisticsSnapshot | None:
    """The latest snapshot, unless the user's scope counts records by who created them (a snapshot only
    knows org nodes): then the page counts live."""
    if scope_for(user, PERMISSION).own_records:
        return None
    return StatisticsSnapshot.objects.order_by("-taken_at").first()


def snapshot_tallies(user, org_ids: list[int] | None, snapshot: StatisticsSnapshot) -> Tallies:
    """The snapshot's rows of the nodes in the user's scope (and in `org_ids`), summed: two small GROUP BYs."""
    counts = figures.narrow(
        StatisticsCount.objects.visible_to(user, PERMISSION).filter(snapshot=snapshot), "org_id", org_ids
    ).order_by()
    by_org: dict[str, dict[int, int]] = {StatisticsKind.PERSON: {}, StatisticsKind.MIGRANT: {}}
    residence_by_org: dict[int, dict[str, int]] = {}
    # the 人户分离 rows per org node and category in the same pass (their key kept, the others' summed over)
    per_org = (
        counts.filter(kind__in=[*by_org, StatisticsKind.RESIDENCE])
        .annotate(part=Case(When(kind=StatisticsKind.RESIDENCE, then=F("key")), default=Value("")))
        .values("kind", "org_id", "part")
        .annotate(n=Sum("count"))
        .order_by()
    )
    for row in per_org:
        if row["kind"] == StatisticsKind.RESIDENCE:
            residence_by_org.setdefault(row["org_id"], {})[row["part"]] = row["n"]
        else:
            by_org[row["kind"]][row["org_id"]] = row["n"]
    male, female = [0] * BAND_COUNT, [0] * BAND_COUNT
    by_province: Counter[str] = Counter()
    sizes = [0] * LARGEST_SIZE
    groups: dict[str, int] = {}
    enterprises = 0
    for row in counts.values("kind", "key").annotate(n=Sum("count")).order_by():
        kind, key, n = row["kind"], row["key"], row["n"]
        if kind == StatisticsKind.PERSON:
            band, gender = key.split(":", 1)
            if gender == MALE:
                male[int(band)] += n
            elif gender == FEMALE:
                female[int(band)] += n
        elif kind == StatisticsKind.MIGRANT:
            by_province[key] += n
        elif kind == StatisticsKind.HOUSEHOLD:
            sizes[int(key) - 1] += n
        elif kind == StatisticsKind.TAG:
            groups[key] = n
        elif kind == StatisticsKind.ENTERPRISE:
            enterprises += n
    return Tallies(
        persons_by_org=by_org[StatisticsKind.PERSON],
        male=male,
        female=female,
        migrants_by_org=by_org[StatisticsKind.MIGRANT],
        by_province=by_province,
        household_sizes=sizes,
        special_groups=groups,
        enterprises=enterprises,
        residence_by_org=residence_by_org,
    )


def compute(user, org: OrgUnit | None = None) -> tuple[dict, StatisticsSnapshot | None]:
    """The statistics page's figures from the latest usable snapshot, or counted live without one; and the
    snapshot they come from (None: live). `org` is in the user's scope (see `figures.org_choices`)."""
    snapshot = usable_snapshot(user)
    if snapshot is None:
        data = figures.compute(user, org)
    else:
        org_ids = OrgUnit.objects.subtree_ids([org]) if org is not None else None
        data = figures.figures(user, org, org_ids, snapshot_tallies(user, org_ids, snapshot), snapshot.as_of)
    data["snapshot_at"] = snapshot.taken_at.isoformat() if snapshot is not None else None
    return data, snapshot
