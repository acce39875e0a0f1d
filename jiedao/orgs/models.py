from __future__ import annotations

from collections.abc import Iterable

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jiedao.core.scope import ScopeAware, ScopedQuerySet
from jiedao.orgs.choices import OrgLevel


class OrgUnitQuerySet(ScopedQuerySet):
    def subtree_ids(self, roots: Iterable[OrgUnit]) -> list[int]:
        condition = Q(pk__in=[])
        for root in roots:
            if root is not None:
                condition |= Q(path__startswith=root.path)
        return list(self.filter(condition).values_list("pk", flat=True))

    def active(self) -> OrgUnitQuerySet:
        return self.filter(is_active=True)


class OrgUnit(ScopeAware, models.Model):
    """A node of the three-level network: district → sub-district → community → grid.

    `path` is a materialised path of zero-padded ids ("000001.000004."), so a subtree is one indexed
    prefix query and moving a node rewrites only its subtree's paths.
    """

    scope_org_field = "id"
    scope_owner_field = None

    name = models.CharField(_("名称"), max_length=100)
    level = models.PositiveSmallIntegerField(_("层级"), choices=OrgLevel.choices)
    division_code = models.CharField(_("区划代码"), max_length=15, unique=True)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("上级"),
    )
    path = models.CharField(max_length=255, db_index=True, editable=False)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = OrgUnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("组织节点")
        verbose_name_plural = _("组织节点")
        ordering = ["path"]
        permissions = [("move_orgunit", _("可移动组织节点")), ("deactivate_orgunit", _("可停用组织节点"))]

    def __str__(self) -> str:
        return self.name

    @property
    def depth(self) -> int:
        return self.path.count(".")

    def path_for(self, parent: OrgUnit | None) -> str:
        return (parent.path if parent else "") + f"{self.pk:06d}."

    def ancestors(self) -> OrgUnitQuerySet:
        ids = [int(part) for part in self.path.split(".") if part]
        return OrgUnit.objects.filter(pk__in=ids[:-1]).order_by("path")

    def full_name(self) -> str:
        return " / ".join([a.name for a in self.ancestors()] + [self.name])

    def community(self) -> OrgUnit | None:
        """The community this node is or belongs to (a grid's parent); None above community level."""
        if self.level == OrgLevel.COMMUNITY:
            return self
        if self.level == OrgLevel.GRID:
            return self.parent
        return None

    def is_descendant_of(self, other: OrgUnit) -> bool:
        return self.path.startswith(other.path) and self.pk != other.pk
