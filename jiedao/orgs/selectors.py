"""Reads of the org tree shared by other apps' lists."""

from __future__ import annotations

from django.utils.translation import gettext as _

from jiedao.orgs.models import OrgUnit


def node_in_scope(user, permission: str, pk: int) -> tuple[OrgUnit | None, str]:
    """A list's `?org=` node, among the nodes `permission` lets `user` reach (so nothing else is probed):
    (node, "") or (None, the Chinese error naming the id)."""
    node = OrgUnit.objects.visible_to(user, permission).filter(pk=pk).first()
    if node is None:
        return None, _("组织节点 %(id)d 不存在或不在您的管辖范围内。") % {"id": pk}
    return node, ""
