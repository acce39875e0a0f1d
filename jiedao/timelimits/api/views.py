from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view

from jiedao.core.api.viewsets import ScopedReadOnlyViewSet
from jiedao.core.exceptions import ValidationFailed
from jiedao.timelimits.api.serializers import ClockSerializer
from jiedao.timelimits.choices import OPEN_STATUSES, ClockStatus
from jiedao.timelimits.models import Clock


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("时限计时列表"),
        parameters=[
            OpenApiParameter(
                "status",
                OpenApiTypes.STR,
                enum=[*ClockStatus.values, "open"],
                description=gettext_lazy("按状态筛选；open 为全部未结束的计时"),
            ),
            OpenApiParameter(
                "kind", OpenApiTypes.STR, description=gettext_lazy("按事项类型筛选，如 services.application")
            ),
        ],
        tags=["timelimits"],
    ),
    retrieve=extend_schema(summary=gettext_lazy("时限计时详情"), tags=["timelimits"]),
)
class ClockViewSet(ScopedReadOnlyViewSet):
    """Time-limit clocks within the caller's data scope, soonest deadline first."""

    model = Clock
    queryset = Clock.objects.all()
    serializer_class = ClockSerializer

    def get_queryset(self):
        queryset = super().get_queryset().select_related("org", "content_type").order_by("due_at", "pk")
        if self.action != "list":
            return queryset
        status = self.request.query_params.get("status", "").strip()
        if status == "open":
            queryset = queryset.filter(status__in=OPEN_STATUSES)
        elif status in ClockStatus.values:
            queryset = queryset.filter(status=status)
        elif status:
            raise ValidationFailed({"status": [_("未知的状态：%(s)s。") % {"s": status[:20]}]})
        kind = self.request.query_params.get("kind", "").strip()
        if kind:
            queryset = queryset.filter(kind=kind)
        return queryset
