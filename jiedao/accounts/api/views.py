from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from jiedao.accounts import services
from jiedao.accounts.api.serializers import TokenRequestSerializer, TokenResponseSerializer, UserSerializer
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

    def get_queryset(self):
        return super().get_queryset().select_related("org").prefetch_related("roles")
