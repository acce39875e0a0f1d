"""Rules shared by the registry services."""

from __future__ import annotations

from django.utils.translation import gettext as _

from jiedao.orgs.choices import OrgLevel
from jiedao.orgs.models import OrgUnit


def community_errors(org: OrgUnit | None, field: str = "org") -> dict[str, list[str]]:
    """Registry records live in a community or one of its grids, and only in an active node."""
    if org is None:
        return {field: [_("请选择所属社区或网格。")]}
    if org.level not in (OrgLevel.COMMUNITY, OrgLevel.GRID):
        return {
            field: [_("只能登记在社区或网格，不能登记在%(level)s。") % {"level": org.get_level_display()}]
        }
    if not org.is_active:
        return {field: [_("“%(name)s”已停用，不能登记新记录。") % {"name": org.name}]}
    return {}


def same_community(a: OrgUnit, b: OrgUnit) -> bool:
    first, second = a.community(), b.community()
    return first is not None and second is not None and first.pk == second.pk


def merge_errors(*groups: dict[str, list[str]]) -> dict[str, list[str]]:
    merged: dict[str, list[str]] = {}
    for group in groups:
        for field, messages in group.items():
            merged.setdefault(field, []).extend(messages)
    return merged


def length_errors(model, **values: str) -> dict[str, list[str]]:
    """Text longer than its column allows, reported per field (PostgreSQL would refuse it; SQLite would not)."""
    errors: dict[str, list[str]] = {}
    for name, value in values.items():
        limit = model._meta.get_field(name).max_length
        if value and limit and len(value.strip()) > limit:
            errors[name] = [
                _("“%(f)s”不能超过 %(n)d 个字。")
                % {"f": model._meta.get_field(name).verbose_name, "n": limit}
            ]
    return errors
