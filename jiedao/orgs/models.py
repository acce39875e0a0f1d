from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import models
from django.db.models import Case, F, Q, When
from django.utils.translation import gettext_lazy as _

from jiedao.core.scope import ScopeAware, ScopedQuerySet
from jiedao.orgs.choices import OrgLevel

REMEDY_NAME_MAX = 100


@dataclass(frozen=True)
class RemedyBodies:
    reconsideration_body: str
    litigation_court: str


def community_id_of(field: str) -> Case:
    """The id of the community that the org node `field` is or belongs to (a grid's parent), as a database
    expression: `OrgUnit.community` for every row of a query at once. `field` names a node at community or grid
    level (where registry records live); NULL when it is NULL (`house__org` of a person without a house)."""
    return Case(
        When(**{f"{field}__level": OrgLevel.GRID}, then=F(f"{field}__parent")),
        default=F(field),
        output_field=models.BigIntegerField(),
    )


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
    # Named in a refusal (不予受理通知书, a 不予准予 outcome) so the applicant knows where to turn: a refusal that
    # does not name the 行政复议机关 lets the 60-day limit run from when they learn it, up to a year
    # (行政复议法第二十条第二款). Blank: the nearest ancestor's applies (`remedy_bodies`), so the district sets
    # them once for its whole tree and a node under 集中管辖 overrides only what differs.
    reconsideration_body = models.CharField(_("行政复议机关"), max_length=REMEDY_NAME_MAX, blank=True)
    litigation_court = models.CharField(_("管辖法院"), max_length=REMEDY_NAME_MAX, blank=True)
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

    def remedy_bodies(self) -> RemedyBodies:
        """The 行政复议机关 and 管辖法院 a refusal by this node names: each the node's own, else its nearest
        ancestor's; blank where no node up the tree sets it."""
        chain = [self, *reversed(list(self.ancestors()))]
        return RemedyBodies(
            reconsideration_body=next((n.reconsideration_body for n in chain if n.reconsideration_body), ""),
            litigation_court=next((n.litigation_court for n in chain if n.litigation_court), ""),
        )

    def is_descendant_of(self, other: OrgUnit) -> bool:
        return self.path.startswith(other.path) and self.pk != other.pk
