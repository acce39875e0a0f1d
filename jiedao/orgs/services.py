"""Org tree: create, rename, move with subtree, deactivate; delete only an empty node."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from jiedao.audit import services as audit
from jiedao.core.exceptions import ServiceError, ValidationFailed
from jiedao.core.scope import require
from jiedao.orgs import audit_events as events
from jiedao.orgs.choices import OrgLevel
from jiedao.orgs.division_codes import SIGNIFICANT_DIGITS, division_code_errors, normalize_division_code
from jiedao.orgs.models import REMEDY_NAME_MAX, OrgUnit
from jiedao.orgs.signals import org_moved

FIELDS = [
    "name",
    "level",
    "division_code",
    "parent",
    "is_active",
    "sort_order",
    "reconsideration_body",
    "litigation_court",
]

# The one message of an over-long name, for the form (Django's `max_length` check, same placeholders) and the
# service alike.
REMEDY_NAME_TOO_LONG = {
    "reconsideration_body": _lazy("行政复议机关名称最多 %(limit_value)d 个字（现有 %(show_value)d 个字）。"),
    "litigation_court": _lazy("管辖法院名称最多 %(limit_value)d 个字（现有 %(show_value)d 个字）。"),
}


def _remedy_values(**names: str | None) -> dict[str, str]:
    """The remedy names given (None: not given, left as they are), stripped."""
    return {field: value.strip() for field, value in names.items() if value is not None}


def _remedy_errors(names: dict[str, str]) -> dict[str, list[str]]:
    return {
        field: [REMEDY_NAME_TOO_LONG[field] % {"limit_value": REMEDY_NAME_MAX, "show_value": len(value)}]
        for field, value in names.items()
        if len(value) > REMEDY_NAME_MAX
    }


def _validate(
    *, name: str, level: int, code: str, parent: OrgUnit | None, exclude_pk: int | None = None
) -> dict:
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = [_("请填写名称。")]
    if level == OrgLevel.DISTRICT:
        if parent is not None:
            errors["parent"] = [_("区级节点不能有上级。")]
    elif parent is None or parent.level != level - 1:
        errors["parent"] = [
            _("%(level)s的上级必须是%(parent)s。")
            % {"level": OrgLevel(level).label, "parent": OrgLevel(level - 1).label}
        ]
    if parent is not None and not parent.is_active:
        errors.setdefault("parent", []).append(_("上级节点已停用。"))
    code_errors = division_code_errors(
        code, level, parent.division_code if parent else None, parent.level if parent else None
    )
    if code_errors:
        errors["division_code"] = code_errors
    elif OrgUnit.objects.filter(division_code=code).exclude(pk=exclude_pk).exists():
        errors["division_code"] = [_("区划代码 %(code)s 已被其他节点使用。") % {"code": code}]
    return errors


def org_create(
    *,
    actor,
    name: str,
    level: int,
    division_code: str,
    parent: OrgUnit | None,
    sort_order: int = 0,
    reconsideration_body: str = "",
    litigation_court: str = "",
) -> OrgUnit:
    """`reconsideration_body`, `litigation_court`: named in the node's refusals; blank to use its ancestors'."""
    require(actor, "orgs.add_orgunit", parent)
    code = normalize_division_code(division_code, level)
    remedy = _remedy_values(reconsideration_body=reconsideration_body, litigation_court=litigation_court)
    errors = {**_validate(name=name, level=level, code=code, parent=parent), **_remedy_errors(remedy)}
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        node = OrgUnit.objects.create(
            name=name.strip(),
            level=level,
            division_code=code,
            parent=parent,
            sort_order=sort_order,
            path="tmp",
            **remedy,
        )
        node.path = node.path_for(parent)
        node.save(update_fields=["path"])
        audit.record(events.ORG_CREATED, actor=actor, target=node, after=audit.snapshot(node, FIELDS))
    return node


def org_rename(
    *,
    actor,
    node: OrgUnit,
    name: str,
    division_code: str,
    sort_order: int | None = None,
    reconsideration_body: str | None = None,
    litigation_court: str | None = None,
) -> OrgUnit:
    """Change a node's name, code and details; a detail given as None stays as it is (blank clears it, so the
    ancestors' applies). A refusal already issued keeps the names it said (its notice's stored facts)."""
    require(actor, "orgs.change_orgunit", node)
    code = normalize_division_code(division_code, node.level)
    remedy = _remedy_values(reconsideration_body=reconsideration_body, litigation_court=litigation_court)
    errors = {
        **_validate(name=name, level=node.level, code=code, parent=node.parent, exclude_pk=node.pk),
        **_remedy_errors(remedy),
    }
    if errors:
        raise ValidationFailed(errors)
    before = audit.snapshot(node, FIELDS)
    with transaction.atomic():
        _recode_descendants(node, code)
        node.name, node.division_code = name.strip(), code
        if sort_order is not None:
            node.sort_order = sort_order
        for field, value in remedy.items():
            setattr(node, field, value)
        node.save()
        audit.record(
            events.ORG_RENAMED, actor=actor, target=node, before=before, after=audit.snapshot(node, FIELDS)
        )
    return node


def org_move(*, actor, node: OrgUnit, new_parent: OrgUnit, division_code: str | None = None) -> OrgUnit:
    """Move a node with its whole subtree. A node changing parent usually changes division code too."""
    require(actor, "orgs.move_orgunit", node)
    require(actor, "orgs.move_orgunit", new_parent)
    if new_parent.pk == node.pk or new_parent.is_descendant_of(node):
        raise ValidationFailed({"parent": [_("不能把节点移动到它自己或它的下级之下。")]})
    code = normalize_division_code(division_code or node.division_code, node.level)
    errors = _validate(name=node.name, level=node.level, code=code, parent=new_parent, exclude_pk=node.pk)
    if errors:
        raise ValidationFailed(errors)
    before = audit.snapshot(node, FIELDS)
    old_path = node.path
    with transaction.atomic():
        _recode_descendants(node, code)
        node.parent, node.division_code = new_parent, code
        node.path = node.path_for(new_parent)
        node.save()
        OrgUnit.objects.filter(path__startswith=old_path).exclude(pk=node.pk).update(
            path=Concat(Value(node.path), Substr(F("path"), len(old_path) + 1))
        )
        org_moved.send(sender=OrgUnit, node=node)
        audit.record(
            events.ORG_MOVED, actor=actor, target=node, before=before, after=audit.snapshot(node, FIELDS)
        )
    return node


def _recode_descendants(node: OrgUnit, new_code: str) -> None:
    """A node's new code carries over to its subtree: each descendant's code takes the new prefix."""
    if new_code == node.division_code:
        return
    width = SIGNIFICANT_DIGITS[OrgLevel(node.level)]
    new_prefix = new_code[:width]
    descendants = list(OrgUnit.objects.filter(path__startswith=node.path).exclude(pk=node.pk))
    for descendant in descendants:
        descendant.division_code = new_prefix + descendant.division_code[width:]
    clashes = OrgUnit.objects.filter(division_code__in=[d.division_code for d in descendants]).exclude(
        pk__in=[d.pk for d in descendants]
    )
    if clashes.exists():
        raise ValidationFailed(
            {
                "division_code": [
                    _("下级节点改用新代码后与现有节点 %(code)s 重复。")
                    % {"code": clashes.first().division_code}
                ]
            }
        )
    # Two passes so that swapping codes inside the subtree never trips the unique index.
    for descendant in descendants:
        OrgUnit.objects.filter(pk=descendant.pk).update(division_code=f"~{descendant.pk}")
    for descendant in descendants:
        OrgUnit.objects.filter(pk=descendant.pk).update(division_code=descendant.division_code)


def org_set_active(*, actor, node: OrgUnit, active: bool) -> OrgUnit:
    """Deactivate (with the whole subtree) or reactivate. Records stay; nothing is deleted."""
    require(actor, "orgs.deactivate_orgunit", node)
    if active and node.parent is not None and not node.parent.is_active:
        raise ServiceError(_("上级节点已停用，请先启用上级。"), code="parent_inactive")
    with transaction.atomic():
        if active:
            node.is_active = True
            node.save(update_fields=["is_active", "updated_at"])
        else:
            OrgUnit.objects.filter(path__startswith=node.path).update(is_active=False)
            node.refresh_from_db()
        audit.record(events.ORG_REACTIVATED if active else events.ORG_DEACTIVATED, actor=actor, target=node)
    return node


def records_holding(node: OrgUnit) -> list[str]:
    """Names of the kinds of record that still point at this node (children, users, any scoped record)."""
    from django.apps import apps

    holders = []
    for model in apps.get_models():
        if model._meta.label == "audit.AuditEvent":
            continue  # the log outlives what it describes
        for field in model._meta.get_fields():
            is_org_link = (
                getattr(field, "related_model", None) is OrgUnit and field.many_to_one and field.concrete
            )
            if is_org_link and model.objects.filter(**{field.name: node}).exists():
                holders.append(str(model._meta.verbose_name))
    return sorted(set(holders))


def org_delete(*, actor, node: OrgUnit) -> None:
    """Hard-delete only a node nothing refers to; otherwise the answer is to deactivate it."""
    require(actor, "orgs.delete_orgunit", node)
    holders = records_holding(node)
    if holders:
        raise ServiceError(
            _("该节点下仍有%(what)s，不能删除，请改为停用。") % {"what": "、".join(holders)},
            code="node_in_use",
        )
    with transaction.atomic():
        audit.record(
            events.ORG_DELETED, actor=actor, target=node, before=audit.snapshot(node, FIELDS), org=node.parent
        )
        node.delete()
