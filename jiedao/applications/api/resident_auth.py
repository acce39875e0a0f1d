"""Authentication of the resident API (/api/v1/resident/): a resident token, never a staff credential.

Residents are not Django users: a resident token authenticates as the anonymous user with the token as
`request.auth` (the resident on `request.resident`), so every staff endpoint — which asks for an
authenticated user and a permission — refuses it. The resident endpoints accept this class alone, so a
staff token or a staff session is refused there.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.permissions import BasePermission

from jiedao.applications import services
from jiedao.applications.models import ResidentToken

KEYWORD = "Bearer"


class ResidentTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <token>` with a token from `POST /api/v1/resident/auth/token/`."""

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("令牌无效或已失效。"), code="invalid_token")
        try:
            token = parts[1].decode("ascii")
        except UnicodeError:
            raise exceptions.AuthenticationFailed(_("令牌无效或已失效。"), code="invalid_token") from None
        record = services.resident_token_check(token)
        if record is None:
            raise exceptions.AuthenticationFailed(_("令牌无效或已失效。"), code="invalid_token")
        request.resident = record.resident
        return AnonymousUser(), record

    def authenticate_header(self, request) -> str:
        return f'{KEYWORD} realm="resident"'


class IsResident(BasePermission):
    """A request signed with a live resident token."""

    message = gettext_lazy("请先登录群众账号（短信验证码登录后取得令牌）。")

    def has_permission(self, request, view) -> bool:
        if isinstance(request.auth, ResidentToken):
            return True
        # No credentials at all is 401 (DRF's NotAuthenticated), as for the staff endpoints.
        if request.auth is None and not request.user.is_authenticated:
            raise exceptions.NotAuthenticated(self.message)
        return False


class ResidentTokenScheme(OpenApiAuthenticationExtension):
    target_class = "jiedao.applications.api.resident_auth.ResidentTokenAuthentication"
    name = "residentToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": _(
                "群众接口令牌：POST /api/v1/resident/auth/token/ 以手机号码和短信验证码换取，"
                "请求头 Authorization: Bearer <令牌>。只能调用 /api/v1/resident/ 下的接口。"
            ),
        }
