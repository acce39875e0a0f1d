"""Catalog reads shared by the public site, the power / responsibility lists and the public API.

Everything here is public: only published items and published, currently valid announcements.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import reduce
from operator import and_, or_

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from jiedao.catalog.choices import Audience, PowerType
from jiedao.catalog.models import Announcement, Material, ServiceItem


def published_items() -> QuerySet[ServiceItem]:
    return (
        ServiceItem.objects.filter(is_published=True, org__is_active=True)
        .select_related("org")
        .prefetch_related(Prefetch("materials", queryset=Material.objects.order_by("sort_order", "id")))
    )


# What separates the words of a search: spaces (full-width too) and the punctuation people type between them.
SEARCH_SEPARATORS = re.compile(r"[\s,，、;；。.]+")


def search_terms(q: str) -> list[str]:
    return [term for term in SEARCH_SEPARATORS.split(q or "") if term][:10]


@dataclass(frozen=True)
class ItemMatches:
    items: QuerySet[ServiceItem]
    # No item holds every word: `items` are those whose name holds the words' characters, which the page
    # must call approximate (居家养老服务补贴申请 for 养老补贴 is a guess, not a match).
    approximate: bool = False


def item_matches(
    items: QuerySet[ServiceItem], q: str, fields: tuple[str, ...] = ("name", "code")
) -> ItemMatches:
    """Items whose `fields` contain every word of `q` (居住证 办理 finds 居住证办理). Where none does, the
    items whose name holds every character of each word: Chinese is typed without spaces, and 养老补贴 or
    低保申请 should find 居家养老服务补贴申请 and 最低生活保障（低保）申请 without a word list (the catalog is
    a few hundred items; the names alone keep the looser match from reaching into long texts)."""
    terms = search_terms(q)
    if not terms:
        return ItemMatches(items)
    exact = items.filter(
        reduce(
            and_, (reduce(or_, (Q(**{f"{field}__icontains": term}) for field in fields)) for term in terms)
        )
    )
    if exact.exists():
        return ItemMatches(exact)
    characters = {character for term in terms for character in term}
    return ItemMatches(
        items.filter(reduce(and_, (Q(name__icontains=character) for character in sorted(characters)))),
        approximate=True,
    )


def matching_items(
    items: QuerySet[ServiceItem], q: str, fields: tuple[str, ...] = ("name", "code")
) -> QuerySet[ServiceItem]:
    """`item_matches`, the items alone."""
    return item_matches(items, q, fields).items


@dataclass(frozen=True)
class GuideSearch:
    items: list[ServiceItem]
    approximate: bool = False  # as in ItemMatches


def guide_search(
    *, q: str = "", audience: str = "", life_event: str = "", org_id: int | None = None
) -> GuideSearch:
    """Published items matching a search text (`item_matches`), an audience (个人 / 企业) and a life event."""
    items = filter_items(published_items(), audience=audience, life_event=life_event)
    if org_id:
        items = items.filter(org_id=org_id)
    # Matched within the filters: 居住证 among 企业办事 looks for names alike among the enterprise items
    # rather than finding the personal 居住证办理 exactly, filtering it out and saying 没有找到.
    matches = item_matches(items, q, ("name", "code", "department", "conditions"))
    return GuideSearch(list(matches.items.order_by("org__path", "code")), approximate=matches.approximate)


def filter_items(
    items: QuerySet[ServiceItem], *, audience: str = "", life_event: str = ""
) -> QuerySet[ServiceItem]:
    """`items` for an audience (个人 / 企业, an item for both counts for each) and a life event; an empty or
    unknown value does not filter."""
    if audience in (Audience.PERSON, Audience.ENTERPRISE):
        items = items.filter(audience__in=[audience, Audience.BOTH])
    if life_event:
        # JSON containment differs between SQLite and PostgreSQL; match on the ids (the catalog is small).
        ids = [pk for pk, events in items.values_list("pk", "life_events") if life_event in (events or [])]
        items = items.filter(pk__in=ids)
    return items


def search_items(
    *, q: str = "", audience: str = "", life_event: str = "", org_id: int | None = None
) -> list[ServiceItem]:
    """`guide_search`, the items alone."""
    return guide_search(q=q, audience=audience, life_event=life_event, org_id=org_id).items


def published_item(code: str) -> ServiceItem | None:
    """By its code as typed (codes are stored upper-case: qb-mz-001 finds QB-MZ-001)."""
    return published_items().filter(code=code.strip().upper()).first()


def current_announcements(*, category: str = "", today: date | None = None) -> QuerySet[Announcement]:
    """Published announcements whose validity dates include today."""
    today = today or timezone.localdate()
    queryset = Announcement.objects.filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=today),
        is_published=True,
        valid_from__lte=today,
        org__is_active=True,
    ).select_related("org")
    if category:
        queryset = queryset.filter(category=category)
    return queryset.order_by("-valid_from", "-id")


def power_list() -> list[dict]:
    """权力清单 / 责任清单: published items grouped by power type, then by implementing body.

    [{"power_type": "benefit", "label": "行政给付", "bodies": [{"org": OrgUnit, "items": [...]}, …]}, …]
    """
    items = published_items().order_by("org__path", "code")
    order = list(PowerType.values)
    groups: dict[str, dict[int, dict]] = {}
    for item in items:
        bodies = groups.setdefault(item.power_type, {})
        bodies.setdefault(item.org_id, {"org": item.org, "items": []})["items"].append(item)
    labels = dict(PowerType.choices)
    return [
        {
            "power_type": key,
            "label": labels.get(key, key),
            "bodies": list(groups[key].values()),
            "count": sum(len(body["items"]) for body in groups[key].values()),
        }
        for key in sorted(groups, key=lambda k: order.index(k) if k in order else len(order))
    ]


def item_process(item: ServiceItem):
    """The deployed process definition an application of `item` is handled by, or None (no key, or the
    process is not deployed for the item's body)."""
    if not item.process_key:
        return None
    from jiedao.workflow.services import resolve_definition

    return resolve_definition(item.process_key, item.org)
