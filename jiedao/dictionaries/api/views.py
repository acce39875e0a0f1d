from django.db.models import Count, Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from jiedao.dictionaries.api.serializers import DictionaryItemSerializer, DictionaryTypeSerializer
from jiedao.dictionaries.models import DictionaryType

CODE_PARAMETER = OpenApiParameter(
    "code", OpenApiTypes.STR, OpenApiParameter.PATH, description="字典代码，如 ethnicity、relation。"
)


@extend_schema_view(
    list=extend_schema(summary="数据字典列表", description="全部字典类型及其启用项数。任何已登录用户可读。"),
    retrieve=extend_schema(summary="一个数据字典", parameters=[CODE_PARAMETER]),
)
@extend_schema(tags=["dictionaries"])
class DictionaryTypeViewSet(viewsets.ReadOnlyModelViewSet):
    """Platform-wide code tables (GB/T 3304 民族, GB/T 4761 家庭关系 …), readable by every signed-in user."""

    scope_exempt = "platform-wide code tables; no org-scoped data"
    serializer_class = DictionaryTypeSerializer
    lookup_field = "code"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    pagination_class = None

    def get_queryset(self):
        return DictionaryType.objects.annotate(active_count=Count("items", filter=Q(items__is_active=True)))

    @extend_schema(
        summary="字典项",
        description="一个字典的字典项，按排序排列，不分页。默认只含启用的项；"
        "include_inactive=true 时也返回已停用的项（用于显示旧记录的名称）。",
        parameters=[
            CODE_PARAMETER,
            OpenApiParameter("include_inactive", OpenApiTypes.BOOL, description="是否包含已停用的字典项"),
        ],
        responses=DictionaryItemSerializer(many=True),
    )
    @action(detail=True, methods=["get"], serializer_class=DictionaryItemSerializer)
    def items(self, request, code=None):
        dict_type = self.get_object()
        items = dict_type.items.order_by("sort_order", "code")
        if request.query_params.get("include_inactive", "").lower() not in ("1", "true", "yes"):
            items = items.filter(is_active=True)
        return Response(DictionaryItemSerializer(items, many=True).data)
