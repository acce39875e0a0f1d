from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from jiedao.accounts import services
from jiedao.accounts.api.serializers import (
    HandoverRequestSerializer,
    HandoverResultSerializer,
    TokenRequestSerializer,
    TokenResponseSerializer,
    UserSerializer,
)
from jiedao.accounts.models import User
from jiedao.core.api.viewsets import ScopedReadOnlyViewSet


class ObtainTokenView(APIView):
    """Exchange a username and password for an API token, under the same lockout rules as the login page."""

    scope_exempt = "authentication endpoint"
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(request=TokenRequestSerializer, responses={200: TokenResponseSerializer}, tags=["auth"])
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            user = services.authenticate_user(channel="api", **serializer.validated_data)
        except services.LoginRefused as error:
            return Response(
                {"code": error.code, "detail": str(error.message)}, status=status.HTTP_401_UNAUTHORIZED
            )
        if user.requires_two_factor:
            return Response(
                {
                    "code": "two_factor_required",
                    "detail": _("管理员账号须通过网页登录并使用动态口令，不签发接口令牌。"),
                },
                status=status.HTTP_403_FORBIDDEN,
            )
        services.login_succeeded(user=user, channel="api")
        token = services.issue_token(user=user)
        return Response({"token": token.key})


class UserViewSet(ScopedReadOnlyViewSet):
    model = User
    serializer_class = UserSerializer
    queryset = User.objects.all()

    action_permissions = {"handover": "change"}

    def get_queryset(self):
        return super().get_queryset().select_related("org").prefetch_related("roles")

    @extend_schema(
        summary=_("工作交接（可一并停用账号）"),
        description=_(
            "把该用户持有的未办结工作（流程待办、首问登记、企业代办、差评整改、公示异议）交给接替人，取消以其为"
            "委托人或代理人的流程代理设置。接替人不能办理的工作列在 left 中并留在原处。deactivate 为 true 时"
            "一并停用账号：持有未办结工作而未指定接替人，或有任何一项不能交给接替人，都不予停用（不作任何改动）。"
        ),
        request=HandoverRequestSerializer,
        responses={200: HandoverResultSerializer},
        tags=["users"],
    )
    @action(detail=True, methods=["post"])
    def handover(self, request, pk=None):
        user = self.get_object()
        serializer = HandoverRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        successor = User.objects.filter(pk=data["successor"]).first() if data.get("successor") else None
        reason = data.get("reason", "")
        if data["deactivate"]:
            done = services.user_deactivate(actor=request.user, user=user, successor=successor, reason=reason)
        else:
            done = services.user_handover(
                actor=request.user, from_user=user, to_user=successor, reason=reason
            )
        return Response(
            {
                "moved": done.moved,
                "left": [{"kind": i.kind, "label": i.label, "reason": i.reason} for i in done.left],
                "ended": done.ended,
                "deactivated": data["deactivate"],
            }
        )
