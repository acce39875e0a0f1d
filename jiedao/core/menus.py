"""The sidebar: apps declare entries in their own `menus.py`; each entry shows only with its permission."""

from __future__ import annotations

from dataclasses import dataclass, field

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
    if all(existing.url_name != item.url_name for existing in group.items):
        group.items.append(item)


def menu_for(user) -> list[dict]:
    sections = []
    for group in sorted(GROUPS.values(), key=lambda g: g.order):
        items = [
            {"label": item.label, "url": reverse(item.url_name), "icon": item.icon, "url_name": item.url_name}
            for item in group.items
            if item.permission is None or has_permission(user, item.permission)
        ]
        if items:
            sections.append({"label": group.label, "items": items})
    return sections


menu_group("workbench", _("工作台"), 0)
menu_group("admin", _("系统管理"), 90)
menu_group("security", _("安全管理"), 91)
menu_group("audit", _("安全审计"), 92)
