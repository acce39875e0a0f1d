"""API authentication with the same rules as the UI: disabled or locked accounts are refused."""

from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

from jiedao.accounts.services import is_locked
from jiedao.core import request_context


class PolicyTokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key):
        # The user's org comes with the token: every scoped request needs it, one query fewer each time.
        token = self.get_model().objects.select_related("user", "user__org").filter(key=key).first()
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("令牌无效或已失效。"), code="invalid_token")
        user = token.user
        if is_locked(username=user.username, ip=request_context.current().ip):
            raise exceptions.AuthenticationFailed(_("账号已锁定，请稍后再试。"), code="locked")
        return user, token


class PolicySessionAuthentication(authentication.SessionAuthentication):
    """Session auth for the browser's own calls (CSRF enforced by DRF)."""
