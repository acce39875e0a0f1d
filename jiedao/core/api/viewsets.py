"""The base API viewset: every scoped endpoint inherits it, so querysets are always `visible_to`."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import viewsets
from rest_framework.permissions import BasePermission

from jiedao.core.scope import has_permission, permission_name

ACTION_PERMISSIONS = {
    "list": "view",
    "retrieve": "view",
    "create": "add",
    "update": "change",
    "partial_update": "change",
    "destroy": "delete",
}


class HasScopedPermission(BasePermission):
    message = _("您没有执行此操作的权限。")

    def has_permission(self, request, view) -> bool:
        return has_permission(request.user, view.required_permission())


class ScopedViewSetMixin:
    """Maps each action to a permission on the model and filters the queryset by the user's scope.

    Extra actions name theirs in `action_permissions`.
    """

    model = None
    action_permissions: dict[str, str] = {}

    def required_permission(self) -> str:
        action = self.action_permissions.get(self.action) or ACTION_PERMISSIONS.get(self.action, "view")
        return permission_name(self.model, action)

    def get_permissions(self):
        return [*super().get_permissions(), HasScopedPermission()]

    def get_queryset(self):
        return self.model.objects.visible_to(self.request.user, self.required_permission())


class ScopedReadOnlyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass


class ScopedGenericViewSet(ScopedViewSetMixin, viewsets.GenericViewSet):
    pass
