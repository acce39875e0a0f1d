"""The sidebar: apps declare entries in their own `menus.py`; each entry shows only with its permission."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from jiedao.core.scope import has_permission


@dataclass(frozen=True)
class MenuItem:
    label: str | Promise
    url_name: str
    permission: str | None
    icon: str = "circle"
    query: str = ""  # e.g. "box=done": one page, several entries
    badge: Callable | None = None  # user -> a count shown beside the label (None or 0: no badge)


@dataclass
class MenuGroup:
    key: str
    label: str | Promise
    order: int
    items: list[MenuItem] = field(default_factory=list)


GROUPS: dict[str, MenuGroup] = {}


def menu_group(key: str, label, order: int) -> MenuGroup:
    return GROUPS.setdefault(key, MenuGroup(key, label, order))


def add(group_key: str, item: MenuItem) -> None:
    group = GROUPS[group_key]
    if all((existing.url_name, existing.query) != (item.url_name, item.query) for existing in group.items):
        group.items.append(item)


def menu_for(user, request=None) -> list[dict]:
    sections = []
    for group in sorted(GROUPS.values(), key=lambda g: g.order):
        items = [
            {
                "label": item.label,
                "url": reverse(item.url_name) + (f"?{item.query}" if item.query else ""),
                "icon": item.icon,
                "url_name": item.url_name,
                "query": item.query,
                "badge": item.badge(user) if item.badge else None,
                "counted": item.badge is not None,  # a count that a page may refresh (see workflow's inbox)
            }
            for item in group.items
            if item.permission is None or has_permission(user, item.permission)
        ]
        if items:
            sections.append({"label": group.label, "items": items})
    _mark_active(sections, request)
    return sections


def _mark_active(sections: list[dict], request) -> None:
    """The entry of the page shown: its view, and of several entries for that view the one whose query the
    request carries (the entry without a query when none does)."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return
    entries = [
        item for section in sections for item in section["items"] if item["url_name"] == match.view_name
    ]
    carried = [
        item
        for item in entries
        if item["query"] and all(request.GET.get(k) == v for k, v in parse_qsl(item["query"]))
    ]
    for item in carried or [item for item in entries if not item["query"]]:
        item["active"] = True


menu_group("workbench", _("工作台"), 0)
menu_group("admin", _("系统管理"), 90)
menu_group("security", _("安全管理"), 91)
menu_group("audit", _("安全审计"), 92)
