"""API authentication with the same rules as the UI: disabled or locked accounts are refused."""

from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

from jiedao.accounts.services import is_locked
from jiedao.core import request_context


class PolicyTokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key):
        try:
            user, token = super().authenticate_credentials(key)
        except exceptions.AuthenticationFailed:
            raise exceptions.AuthenticationFailed(_("令牌无效或已失效。"), code="invalid_token") from None
        if is_locked(username=user.username, ip=request_context.current().ip):
            raise exceptions.AuthenticationFailed(_("账号已锁定，请稍后再试。"), code="locked")
        return user, token


class PolicySessionAuthentication(authentication.SessionAuthentication):
    """Session auth for the browser's own calls (CSRF enforced by DRF)."""
