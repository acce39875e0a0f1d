"""Read-only API over the audit log, for the auditor only, with the same filter as the page."""

from __future__ import annotations

import hashlib

from django.core.cache import cache
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from jiedao.audit import services
from jiedao.audit.api.serializers import AuditEventSerializer
from jiedao.audit.audit_events import AUDIT_LOG_VIEWED
from jiedao.audit.filters import AuditFilterForm
from jiedao.audit.models import AuditEvent
from jiedao.core.api.viewsets import ScopedReadOnlyViewSet

VIEW_DEDUP_SECONDS = 30 * 60

FILTER_PARAMETERS = [
    OpenApiParameter(
        "date_from", OpenApiTypes.DATE, description="起始日期（北京时间，含当日），如 2026-01-01"
    ),
    OpenApiParameter("date_to", OpenApiTypes.DATE, description="截止日期（北京时间，含当日）"),
    OpenApiParameter("actor", OpenApiTypes.STR, description="操作人账号（用户名，精确匹配）"),
    OpenApiParameter("org", OpenApiTypes.INT, description="组织节点编号，含其全部下级"),
    OpenApiParameter(
        "event_type", OpenApiTypes.STR, description="事件类型（点分名称），如 accounts.login.failed"
    ),
    OpenApiParameter("target_type", OpenApiTypes.STR, description="对象类型，如 orgs.OrgUnit"),
    OpenApiParameter("target_id", OpenApiTypes.STR, description="对象编号"),
    OpenApiParameter("result", OpenApiTypes.STR, enum=["success", "failure"], description="结果：成功或失败"),
]


@extend_schema_view(
    list=extend_schema(
        summary="审计日志列表",
        description="按时间倒序列出审计事件（仅安全审计员，需 audit.view_auditevent）。每次查询本身记为一条"
        "“查看审计日志”事件（同一筛选条件的翻页不重复记录）。",
        parameters=FILTER_PARAMETERS,
        tags=["audit"],
    ),
    retrieve=extend_schema(
        summary="审计事件详情",
        description="单条审计事件，含变更前后数据与哈希（仅安全审计员）。查看本身记为一条“查看审计日志”事件。",
        tags=["audit"],
    ),
)
class AuditEventViewSet(ScopedReadOnlyViewSet):
    """审计日志（只读）。"""

    model = AuditEvent
    serializer_class = AuditEventSerializer
    queryset = AuditEvent.objects.all()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return AuditEvent.objects.none()
        queryset = super().get_queryset().select_related("org").order_by("-id")
        if self.action == "list":
            queryset = self.filter_form().apply(queryset)
        return queryset

    def filter_form(self) -> AuditFilterForm:
        if not hasattr(self, "_filter_form"):
            form = AuditFilterForm(self.request.query_params, user=self.request.user)
            if not form.is_valid():
                raise ValidationError(
                    {name: [str(m) for m in messages] for name, messages in form.errors.items()}
                )
            self._filter_form = form
        return self._filter_form

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        described = self.filter_form().describe()
        first_page = request.query_params.get("offset", "0") in ("", "0")
        digest = hashlib.sha256(self.filter_form().signature().encode()).hexdigest()[:32]
        key = f"audit:viewed:{request.user.pk}:{digest}"
        # One event per query, not per page: a later page is recorded only if this query was not recently.
        if cache.add(key, True, VIEW_DEDUP_SECONDS) or first_page:
            cache.set(key, True, VIEW_DEDUP_SECONDS)
            services.record(
                AUDIT_LOG_VIEWED,
                actor=request.user,
                org=request.user.org_id,
                message=_("通过接口查看审计日志"),
                after={"filter": described},
            )
        return response

    def retrieve(self, request, *args, **kwargs):
        event = self.get_object()
        data = self.get_serializer(event).data
        services.record(
            AUDIT_LOG_VIEWED,
            actor=request.user,
            org=request.user.org_id,
            target=event,
            message=_("通过接口查看审计事件 #%(id)d") % {"id": event.pk},
        )
        return Response(data)
