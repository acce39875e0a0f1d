"""/api/v1/registry-quality/: 数据质量核查 for a district data platform or a dashboard — the checks with their
counts in the caller's scope, and each check's records (`jiedao.registry.quality`, as the staff pages)."""

from __future__ import annotations

from dataclasses import asdict

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from jiedao.registry import quality
from jiedao.registry.api.base import KeyedPagination
from jiedao.registry.api.params import LIST_ERRORS, ORG_PARAMETER, READ_ERRORS, QueryParams

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


class QualityOverviewView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="registry_quality_overview",
        summary="数据质量核查汇总",
        description="您有权查看的各项核查及其问题记录数（只计您管辖范围内的记录）；每项需要其所读记录的查看权限。",
        responses={200: QualityCheckSerializer(many=True), 403: LIST_ERRORS[403]},
        tags=["registry-quality"],
    )
    def get(self, request):
        counts = quality.check_counts(request.user)
        rows = [
            {"key": check.key, "title": check.title, "explanation": check.explanation, "count": count}
            for check, count in counts
        ]
        return Response(QualityCheckSerializer(rows, many=True).data)


class QualityFindingsView(APIView):
    """One check's records, paged like every registry list (`limit`, `offset`)."""

    permission_classes = [IsAuthenticated]
    pagination_class = KeyedPagination

    @extend_schema(
        operation_id="registry_quality_findings",
        summary="数据质量核查问题记录",
        description="一项核查列出的记录，顺序同网页；没有该项所需权限或核查项不存在时返回 404。",
        parameters=[
            OpenApiParameter("key", OpenApiTypes.STR, OpenApiParameter.PATH, description=KEY_HELP),
            ORG_PARAMETER,
        ],
        responses={200: QualityFindingSerializer(many=True), 400: LIST_ERRORS[400], **READ_ERRORS},
        tags=["registry-quality"],
    )
    def get(self, request, key: str):
        self.check = quality.CHECKS_BY_KEY.get(key)
        if self.check is None or not self.check.allowed(request.user):
            raise Http404(_("没有这项核查。"))
        params = QueryParams(request, self.check.permissions[0])
        org = params.org()
        params.check()
        queryset = self.check.queryset(request.user)
        if org is not None:
            queryset = queryset.filter(**{f"{self.check.org_field}__path__startswith": org.path})
        paginator = self.pagination_class()
        rows = paginator.paginate_queryset(queryset, request, view=self)
        findings = [asdict(finding) for finding in self.check.findings(rows)]
        return paginator.get_paginated_response(QualityFindingSerializer(findings, many=True).data)

    def with_extras(self, queryset):
        return self.check.page_rows(queryset, self.request.user)
