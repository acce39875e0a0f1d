"""人户分离 kept on the person: `Person.residence_split` is what `ResidenceRule` says, refreshed by every write
that can change it, so that the person list filtered by a category reads one index range.

The rule stays in one place (`ResidenceRule`, through `PersonQuerySet.with_residence_split`): this module only
stores its answer. A person's category depends on the person (status, org, house), the membership, the
household (org, 销户), the house (org) and the org tree (a grid moved to another community): each service
writing one of these calls `refresh_residence_split` with the persons it may have changed, inside its
transaction, so a committed write never leaves a stale category. `refresh_all` (the periodic job) is the
safety net for writes that bypassed the services (a database repair by hand).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import F, Max, Min, Q, QuerySet

from jiedao.orgs.models import OrgUnit
from jiedao.registry.models import HouseholdMember, Person

# Persons per statement: the ids of a batch stay under SQLite's variable limit, and a batch of a 1,000,000-person
# district is read by its primary-key range.
BATCH = 5_000


def _refresh(persons: QuerySet[Person]) -> int:
    """Store the live category of `persons` (one batch) where it differs from the stored one.

    Read first, write the few that changed: the read is the rule's joins over the batch (hash joins on
    PostgreSQL), and a refresh that changes nothing (the periodic job, a house edit that kept its community)
    writes no row — an UPDATE of every row with a correlated subquery would rewrite each row and evaluate the
    rule's joins once a row."""
    stale: dict[str, list[int]] = {}
    rows = (
        persons.order_by()
        .with_residence_split()
        .filter(~Q(residence_split=F("live_residence_split")))
        .values_list("pk", "live_residence_split")
    )
    for pk, split in rows:
        stale.setdefault(split, []).append(pk)
    for split, ids in stale.items():  # at most one statement per category
        Person.objects.filter(pk__in=ids).update(residence_split=split)
    return sum(len(ids) for ids in stale.values())


def refresh_residence_split(persons: QuerySet[Person] | Q | Iterable[int]) -> int:
    """Recompute and store 人户分离 for `persons`: a queryset, a condition on Person, or person ids. Set-based,
    in batches of `BATCH` ids (a queryset or condition is read for its ids first: the persons of one house can be
    far apart in id, and ranges between them would cost a statement per 5,000 ids of the table); call it inside
    the transaction of the write. Returns how many persons changed category."""
    if isinstance(persons, QuerySet | Q):
        queryset = persons if isinstance(persons, QuerySet) else Person.objects.filter(persons)
        persons = queryset.order_by().values_list("pk", flat=True)
    ids = sorted(set(persons))
    return sum(
        _refresh(Person.objects.filter(pk__in=ids[start : start + BATCH]))
        for start in range(0, len(ids), BATCH)
    )


def refresh_org_subtree(node: OrgUnit) -> int:
    """After `node` moved with its subtree (a grid to another community): every person whose category may
    depend on it — belonging to it, a member of a household of it, or living in a house of it. Three indexed
    look-ups by org rather than one OR across the joins."""
    orgs = OrgUnit.objects.subtree_ids([node])
    ids = set(Person.objects.filter(org__in=orgs).values_list("pk", flat=True))
    ids |= set(HouseholdMember.objects.filter(household__org__in=orgs).values_list("person_id", flat=True))
    ids |= set(Person.objects.filter(house__org__in=orgs).values_list("pk", flat=True))
    return refresh_residence_split(ids)


def refresh_all() -> int:
    """The safety net (periodic job): every person, by primary-key ranges of `BATCH`, each batch in its own
    transaction so that the job never holds a district's rows at once. Returns how many persons were stale."""
    changed = 0
    bounds = Person.objects.aggregate(low=Min("pk"), high=Max("pk"))
    if bounds["low"] is None:
        return 0
    for start in range(bounds["low"], bounds["high"] + 1, BATCH):
        with transaction.atomic():
            changed += _refresh(Person.objects.filter(pk__gte=start, pk__lt=start + BATCH))
    return changed
