"""Residence-permit reminders: mark migrants whose permit runs out soon, once per expiry date.

A reminder today is the mark (`Migrant.permit_reminded_on`), the list and the home panel built from
`selectors.expiring_permits`, and one audit event per community; SMS will hang off the same mark later.
Changing a migrant's permit expiry clears the mark (`services.migrant_register`), so the next expiry is
reminded again.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Case, F, When
from django.utils import timezone

from jiedao.audit import services as audit
from jiedao.orgs.choices import OrgLevel
from jiedao.orgs.models import OrgUnit
from jiedao.parameters.services import get_parameter
from jiedao.registry import audit_events as events
from jiedao.registry.choices import PersonStatus
from jiedao.registry.models import Migrant

PARAMETER = "registry.permit_reminder_days"
SYSTEM_ACTOR = "system"
CHUNK = 500


def due_for_reminder(today: date, within_days: int):
    """Living migrants whose permit expires between today and `within_days` from now, not yet reminded."""
    return Migrant.objects.filter(
        person__status=PersonStatus.LIVING,
        permit_valid_until__gte=today,
        permit_valid_until__lte=today + timedelta(days=within_days),
        permit_reminded_on__isnull=True,
    )


def send_permit_reminders(today: date | None = None) -> int:
    """Mark every migrant due for a permit reminder; one audit event per community. Returns how many."""
    today = today or timezone.localdate()
    within_days = int(get_parameter(PARAMETER))
    rows = (
        due_for_reminder(today, within_days)
        .annotate(
            community_id=Case(
                When(person__org__level=OrgLevel.GRID, then=F("person__org__parent_id")),
                default=F("person__org_id"),
            )
        )
        .order_by("community_id", "permit_valid_until", "pk")
        .values_list("pk", "community_id", "permit_valid_until")
    )
    by_community: dict[int, list[tuple[int, date]]] = defaultdict(list)
    for pk, community_id, valid_until in rows:
        by_community[community_id].append((pk, valid_until))
    communities = OrgUnit.objects.in_bulk(list(by_community))
    total = 0
    for community_id, due in by_community.items():
        with transaction.atomic():
            marked = 0
            ids = [pk for pk, _valid_until in due]
            for start in range(0, len(ids), CHUNK):
                # The null test again: a run overlapping this one must not mark or count anyone twice.
                marked += Migrant.objects.filter(
                    pk__in=ids[start : start + CHUNK], permit_reminded_on__isnull=True
                ).update(permit_reminded_on=today)
            if not marked:
                continue
            community = communities.get(community_id)
            audit.record(
                events.MIGRANT_PERMIT_REMINDED,
                actor_name=SYSTEM_ACTOR,
                org=community,
                message=f"居住证到期提醒：{community.name if community else community_id} {marked} 人，"
                f"有效期至 {due[0][1]:%Y-%m-%d} 至 {due[-1][1]:%Y-%m-%d}（提前 {within_days} 天）",
                after={
                    "reminder": "permit_expiry",
                    "reminded_on": today,
                    "within_days": within_days,
                    "count": marked,
                    "migrants": ids,
                },
            )
            total += marked
    return total
