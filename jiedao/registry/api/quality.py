"""/api/v1/registry-quality/: 数据质量核查 for a district data platform or a dashboard — the checks with their
counts in the caller's scope, and each check's records (`jiedao.registry.quality`, as the staff pages)."""

from __future__ import annotations

from dataclasses import asdict

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.response import Response

from jiedao.core.api.viewsets import ScopedViewSetMixin
from jiedao.registry import quality
from jiedao.registry.api.base import KeyedPagination
from jiedao.registry.api.params import LIST_ERRORS, ORG_PARAMETER, READ_ERRORS, QueryParams
from jiedao.registry.models import Person

KEY_HELP = "核查项：" + "；".join(f"{check.key} {check.title}" for check in quality.CHECKS)


class QualityCheckSerializer(serializers.Serializer):
    key = serializers.CharField(help_text=KEY_HELP)
    title = serializers.CharField(label="核查项")
    explanation = serializers.CharField(label="规则")
    count = serializers.IntegerField(help_text="您管辖范围内的问题记录数")


class QualityFindingSerializer(serializers.Serializer):
    kind = serializers.CharField(
        help_text="记录类型：person 人员（/api/v1/persons/{id}/）、household 户、house 房屋",
    )
    record_id = serializers.IntegerField(help_text="记录编号")
    record = serializers.CharField(label="记录", help_text="人员姓名、户号或房屋地址")
    org = serializers.CharField(label="所属社区/网格")
    problem = serializers.CharField(label="问题")
    url = serializers.CharField(help_text="记录在网页中的地址，在那里更正")


class QualityFindingPageSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="该项问题记录总数")
    next = serializers.URLField(allow_null=True, help_text="下一页")
    previous = serializers.URLField(allow_null=True, help_text="上一页")
    results = QualityFindingSerializer(many=True)


# `limit` and `offset` as every paged list describes them (the viewset pages only `retrieve` itself)
PAGE_PARAMETERS = [
    OpenApiParameter(parameter["name"], OpenApiTypes.INT, description=parameter["description"])
    for parameter in KeyedPagination().get_schema_operation_parameters(view=None)
]


@extend_schema(tags=["registry-quality"])
class QualityViewSet(ScopedViewSetMixin, viewsets.GenericViewSet):
    """The checks (list) and one check's records (retrieve by key), each read through the check's scoped
    queryset (`jiedao.registry.quality`); the list needs the registry reader's permission, as the page does."""

    lookup_field = "key"
    lookup_value_regex = "[^/.]+"
    pagination_class = None  # the checks are few; a check's records are paged in `retrieve`

    def quality_check(self) -> quality.QualityCheck | None:
        return quality.check_for(self.request.user, self.kwargs.get("key", ""))

    def required_permission(self) -> str:
        check = self.quality_check() if self.action == "retrieve" else None
        return check.permissions[0] if check else quality.OVERVIEW_PERMISSION

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Person.objects.none()
        check = self.quality_check()
        if check is None:
            raise Http404(_("没有这项核查。"))
        return check.queryset(self.request.user)

    def with_extras(self, queryset):
        return self.quality_check().page_rows(queryset, self.request.user)

    @extend_schema(
        operation_id="registry_quality_overview",
        summary="数据质量核查汇总",
        description="您有权查看的各项核查及其问题记录数（只计您管辖范围内的记录）；每项需要其所读记录的查看权限。",
        responses={200: QualityCheckSerializer(many=True), 403: LIST_ERRORS[403]},
    )
    def list(self, request):
        rows = [
            {"key": check.key, "title": check.title, "explanation": check.explanation, "count": count}
            for check, count in quality.check_counts(request.user)
        ]
        return Response(QualityCheckSerializer(rows, many=True).data)

    @extend_schema(
        operation_id="registry_quality_findings",
        summary="数据质量核查问题记录",
        description="一项核查列出的记录，顺序同网页；没有该项所需权限或核查项不存在时返回 404。",
        parameters=[
            OpenApiParameter("key", OpenApiTypes.STR, OpenApiParameter.PATH, description=KEY_HELP),
            ORG_PARAMETER,
            *PAGE_PARAMETERS,
        ],
        responses={200: QualityFindingPageSerializer, 400: LIST_ERRORS[400], **READ_ERRORS},
    )
    def retrieve(self, request, key: str):
        queryset = self.get_queryset()
        check = self.quality_check()
        params = QueryParams(request, self.required_permission())
        org = params.org()
        params.check()
        if org is not None:
            queryset = check.in_org(queryset, org)
        paginator = KeyedPagination()
        rows = paginator.paginate_queryset(queryset, request, view=self)
        findings = [asdict(finding) for finding in check.findings(rows)]
        return paginator.get_paginated_response(QualityFindingSerializer(findings, many=True).data)
