"""Org scope: the one place where "who may see which records" is decided.

Every record that belongs to a node of the org tree inherits `ScopedModel`. Reads go through
`Model.objects.visible_to(user, action)` (called by the base UI views, the base API viewset and the
selectors); writes call `require(actor, permission, obj_or_org)` inside services. Out-of-scope objects
are reported as "not found" so that their existence does not leak.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jiedao.core.exceptions import OutOfScope, PermissionDenied


class DataScope(models.TextChoices):
    ALL = "all", _("全部")
    SUBTREE = "subtree", _("本级及下级")
    NODE = "node", _("仅本级")
    CUSTOM = "custom", _("自定义节点（含下级）")
    OWN = "own", _("仅本人记录")


@dataclass(frozen=True)
class ScopeGrant:
    """What one permission lets a user reach: every org, some org ids, and/or their own records."""

    everything: bool = False
    org_ids: frozenset[int] = frozenset()
    own_records: bool = False

    @property
    def nothing(self) -> bool:
        return not (self.everything or self.org_ids or self.own_records)

    def covers_org(self, org_id: int | None) -> bool:
        return self.everything or (org_id is not None and org_id in self.org_ids)


NO_GRANT = ScopeGrant()


def permission_name(model: type[models.Model], action: str) -> str:
    """`view` on registry.Person → `registry.view_person`; a dotted name is taken as is."""
    if "." in action:
        return action
    return f"{model._meta.app_label}.{action}_{model._meta.model_name}"


def scope_for(user, permission: str) -> ScopeGrant:
    """Union of the data scopes of the user's roles that carry `permission`, cached on the user object."""
    if user is None or not user.is_authenticated or not user.is_active:
        return NO_GRANT
    scopes = user.__dict__.get("_scope_cache")
    if scopes is None:
        scopes = user.__dict__["_scope_cache"] = _UserScopes(user)
    return scopes.grant(permission)


class _UserScopes:
    """What one user's roles grant, read once per request (the user object lives as long as the request).

    A staff page asks about some thirty permissions (its menu, panels and buttons): the roles behind all of
    them are one query, and each distinct set of subtree roots one more, instead of two queries a permission.
    Dropping `user._scope_cache` makes the next question read the roles again.
    """

    def __init__(self, user) -> None:
        self.user = user
        self.grants: dict[str, ScopeGrant] = {}
        self.roles_by_permission: dict[str, list[tuple[int, str]]] | None = None
        self.subtrees: dict[tuple, frozenset[int]] = {}

    def grant(self, permission: str) -> ScopeGrant:
        grant = self.grants.get(permission)
        if grant is None:
            grant = self.grants[permission] = self._compute(permission)
        return grant

    def _roles_with(self, permission: str) -> list[tuple[int, str]]:
        if self.roles_by_permission is None:
            self.roles_by_permission = {}
            rows = self.user.roles.filter(is_active=True).values_list(
                "id", "data_scope", "permissions__content_type__app_label", "permissions__codename"
            )
            for role_id, data_scope, app_label, codename in rows:
                if codename is not None:  # a role without permissions still gives one row
                    self.roles_by_permission.setdefault(f"{app_label}.{codename}", []).append(
                        (role_id, data_scope)
                    )
        return self.roles_by_permission.get(permission, [])

    def _compute(self, permission: str) -> ScopeGrant:
        own_records = subtree_of_own_org = False
        node_ids: set[int] = set()
        custom_role_ids: list[int] = []
        for role_id, data_scope in self._roles_with(permission):
            if data_scope == DataScope.ALL:
                return ScopeGrant(everything=True)
            if data_scope == DataScope.SUBTREE:
                subtree_of_own_org = True
            elif data_scope == DataScope.NODE:
                node_ids.add(self.user.org_id)
            elif data_scope == DataScope.CUSTOM:
                custom_role_ids.append(role_id)
            elif data_scope == DataScope.OWN:
                own_records = True
        if subtree_of_own_org or custom_role_ids:
            node_ids.update(self._subtree(subtree_of_own_org, tuple(sorted(custom_role_ids))))
        return ScopeGrant(org_ids=frozenset(node_ids), own_records=own_records)

    def _subtree(self, own_org: bool, custom_role_ids: tuple[int, ...]) -> frozenset[int]:
        """Ids of the user's own org subtree (if `own_org`) and of the custom roles' chosen subtrees."""
        key = (own_org, custom_role_ids)
        if key not in self.subtrees:
            from jiedao.orgs.models import OrgUnit

            roots = [self.user.org] if own_org else []
            if custom_role_ids:
                chosen = self.user.roles.model.custom_orgs.through.objects.filter(role_id__in=custom_role_ids)
                roots.extend(OrgUnit.objects.filter(pk__in=chosen.values("orgunit_id")))
            self.subtrees[key] = frozenset(OrgUnit.objects.subtree_ids(roots))
        return self.subtrees[key]


class ScopedQuerySet(models.QuerySet):
    """A queryset that knows how to restrict itself to what a user may reach."""

    def visible_to(self, user, action: str = "view") -> ScopedQuerySet:
        grant = scope_for(user, permission_name(self.model, action))
        if grant.everything:
            return self
        if grant.nothing:
            return self.none()
        condition = Q(pk__in=[])
        if grant.org_ids:
            condition |= Q(**{f"{self.model.scope_org_field}__in": grant.org_ids})
        if grant.own_records and self.model.scope_owner_field:
            condition |= Q(**{self.model.scope_owner_field: user})
        return self.filter(condition)


class ScopeAware:
    """Declares how a model reaches its org node. Mixed into every model that belongs to the tree."""

    scope_org_field = "org"
    scope_owner_field: str | None = "created_by"

    def scope_org_id(self) -> int | None:
        target = self
        *path, last = self.scope_org_field.split("__")
        for step in path:
            target = getattr(target, step)
            if target is None:
                return None
        return target.pk if last in ("id", "pk") else getattr(target, f"{last}_id")

    def scope_owner_id(self) -> int | None:
        if not self.scope_owner_field:
            return None
        return getattr(self, f"{self.scope_owner_field}_id", None)


class ScopedModel(ScopeAware, models.Model):
    """Base of every record that belongs to one org node."""

    org = models.ForeignKey(
        "orgs.OrgUnit",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("所属组织"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("创建人"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        abstract = True


def require(actor, permission: str, target) -> None:
    """Raise unless `actor` holds `permission` over `target` (a scoped object or an org node).

    Used inside services, including for the org a record is created in or moved to.
    """
    from jiedao.orgs.models import OrgUnit

    grant = scope_for(actor, permission)
    if grant.nothing:
        raise PermissionDenied()
    if target is None:
        return
    if isinstance(target, OrgUnit):
        if not grant.covers_org(target.pk):
            raise OutOfScope()
        return
    if grant.covers_org(target.scope_org_id()):
        return
    if grant.own_records and actor.pk is not None and target.scope_owner_id() == actor.pk:
        return
    raise OutOfScope()


def has_permission(user, permission: str) -> bool:
    return not scope_for(user, permission).nothing
