from __future__ import annotations

from django.contrib.auth.backends import ModelBackend


class RoleBackend(ModelBackend):
    """Permissions come only from the user's active roles; `is_superuser` grants nothing."""

    def _get_user_permissions(self, user_obj):
        return user_obj.user_permissions.none()

    def _get_group_permissions(self, user_obj):
        from django.contrib.auth.models import Permission

        return Permission.objects.filter(roles__users=user_obj, roles__is_active=True).distinct()

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            user_obj._perm_cache = self.get_group_permissions(user_obj)
        return user_obj._perm_cache

    def has_perm(self, user_obj, perm, obj=None):
        return user_obj.is_active and perm in self.get_all_permissions(user_obj, obj=obj)
