from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from jiedao.core.exceptions import ValidationFailed
from jiedao.core.scope import has_permission
from jiedao.parameters import services
from jiedao.parameters.api.serializers import ParameterSerializer, ParameterValueSerializer
from jiedao.parameters.models import SystemParameter
from jiedao.parameters.registry import PARAMETERS, READ_PERMISSIONS, ParameterSpec

KEY_PARAMETER = OpenApiParameter(
    "key", OpenApiTypes.STR, OpenApiParameter.PATH, description="参数键，如 password.min_length。"
)

VALUE_REQUEST_SCHEMA = {
    "type": "object",
    "properties": {"value": {"description": "新值：数字、布尔值或文本，按参数类型校验。"}},
    "required": ["value"],
}


class CanViewParameters(BasePermission):
    message = "您没有查看系统参数的权限。"

    def has_permission(self, request, view) -> bool:
        if view.action == "partial_update":
            return True  # the service checks the parameter's own permission
        return any(has_permission(request.user, perm) for perm in READ_PERMISSIONS)


def _represent(spec: ParameterSpec, stored: dict, user) -> dict:
    return {
        "key": spec.key,
        "label": str(spec.label),
        "group": str(spec.group),
        "help_text": str(spec.help_text),
        "kind": spec.kind_name,
        "value": stored.get(spec.key, spec.default),
        "default": spec.default,
        "minimum": spec.minimum,
        "maximum": spec.maximum,
        "is_default": spec.key not in stored,
        "editable": has_permission(user, spec.permission),
    }


@extend_schema(tags=["parameters"])
class ParameterViewSet(viewsets.GenericViewSet):
    """Declared system parameters. Reading needs `parameters.view_systemparameter`; changing one needs the
    permission it was declared with (system parameters or security policy). Every change is audited."""

    scope_exempt = "platform-wide settings; no org-scoped data"
    serializer_class = ParameterSerializer
    permission_classes = [*viewsets.GenericViewSet.permission_classes, CanViewParameters]
    lookup_field = "key"
    lookup_value_regex = r"[A-Za-z0-9_.\-]+"
    pagination_class = None

    def _spec(self, key: str) -> ParameterSpec:
        spec = PARAMETERS.get(key)
        if spec is None:
            raise Http404
        return spec

    def _stored(self, *keys: str) -> dict:
        rows = SystemParameter.objects.all()
        if keys:
            rows = rows.filter(key__in=keys)
        return dict(rows.values_list("key", "value"))

    @extend_schema(summary="系统参数列表", responses=ParameterSerializer(many=True))
    def list(self, request):
        stored = self._stored()
        return Response([_represent(spec, stored, request.user) for spec in PARAMETERS.values()])

    @extend_schema(summary="一个系统参数", parameters=[KEY_PARAMETER], responses=ParameterSerializer)
    def retrieve(self, request, key=None):
        spec = self._spec(key)
        return Response(_represent(spec, self._stored(spec.key), request.user))

    @extend_schema(
        summary="修改系统参数",
        description='请求体 {"value": …}。值不合法时返回 400，errors.value 为中文说明，原值不变。',
        parameters=[KEY_PARAMETER],
        # A plain schema: drf-spectacular would mark every field of a PATCH serializer optional.
        request={"application/json": VALUE_REQUEST_SCHEMA},
        responses=ParameterSerializer,
    )
    def partial_update(self, request, key=None):
        spec = self._spec(key)
        body = ParameterValueSerializer(data=request.data)
        if not body.is_valid():
            raise ValidationError(body.errors)
        try:
            services.parameter_set(actor=request.user, key=spec.key, raw_value=body.validated_data["value"])
        except ValidationFailed as error:
            raise ValidationFailed({"value": error.errors.get(spec.key, [str(error.message)])}) from None
        return Response(_represent(spec, self._stored(spec.key), request.user))
