"""/api/v1/house-visits/: 入户走访核查, the visits of grid workers to the houses of their scope."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view

from jiedao.registry import services
from jiedao.registry.api.base import RegistryViewSet
from jiedao.registry.api.params import (
    ID_PATH,
    LIST_ERRORS,
    ORG_PARAMETER,
    READ_ERRORS,
    WRITE_ERRORS,
    QueryParams,
)
from jiedao.registry.api.serializers import HouseVisitSerializer
from jiedao.registry.choices import VisitResult
from jiedao.registry.models import HouseVisit


@extend_schema_view(
    list=extend_schema(
        summary="入户核查记录列表",
        description="您管辖范围内房屋的入户核查记录（按房屋所属组织限定），核查日期新的在前。",
        parameters=[
            OpenApiParameter("house", OpenApiTypes.INT, description="房屋编号"),
            OpenApiParameter("result", OpenApiTypes.STR, enum=VisitResult.values, description="核查结果"),
            OpenApiParameter("date_from", OpenApiTypes.DATE, description="核查日期不早于（含），YYYY-MM-DD"),
            OpenApiParameter("date_to", OpenApiTypes.DATE, description="核查日期不晚于（含），YYYY-MM-DD"),
            ORG_PARAMETER,
        ],
        responses={200: HouseVisitSerializer(many=True), **LIST_ERRORS},
    ),
    retrieve=extend_schema(
        summary="入户核查记录详情", parameters=[ID_PATH], responses={200: HouseVisitSerializer, **READ_ERRORS}
    ),
    create=extend_schema(
        summary="登记入户核查",
        description="由 `house_visit_record` 办理：核查人为当前用户；核查日期不能晚于今天、不能早于 5 年前"
        "（可补录纸质记录）；结果为 corrected 时须在 note 中写明更正内容。房屋不在您的管辖范围内时返回 404，不写入任何数据。",
        responses={201: HouseVisitSerializer, **WRITE_ERRORS},
    ),
)
@extend_schema(tags=["registry-houses"])
class HouseVisitViewSet(RegistryViewSet):
    """入户核查记录：只可登记与查询，登记后不可修改（更正请另登记一次核查）。"""

    model = HouseVisit
    queryset = HouseVisit.objects.all()
    serializer_class = HouseVisitSerializer

    def with_extras(self, queryset):
        return queryset.select_related("house", "visited_by")

    def filter_list(self, queryset):
        params = QueryParams(self.request, self.required_permission())
        house = params.integer("house", minimum=1, maximum=2**31 - 1)
        result = params.choice("result", VisitResult.values)
        date_from, date_to = params.date("date_from"), params.date("date_to")
        org = params.org()
        if date_from and date_to and date_from > date_to:
            params.errors["date_to"] = [_("结束日期不能早于开始日期。")]
        params.check()
        if house is not None:
            queryset = queryset.filter(house_id=house)
        if result:
            queryset = queryset.filter(result=result)
        if date_from:
            queryset = queryset.filter(visited_on__gte=date_from)
        if date_to:
            queryset = queryset.filter(visited_on__lte=date_to)
        if org is not None:
            queryset = queryset.filter(house__org__path__startswith=org.path)
        return queryset

    def create(self, request, *args, **kwargs):
        validated = self.parse(HouseVisitSerializer)
        visit = services.house_visit_record(
            actor=request.user,
            house=validated["house"],
            data=services.VisitData(
                visited_on=validated.get("visited_on"),
                result=validated["result"],
                companion=validated.get("companion", ""),
                note=validated.get("note", ""),
            ),
        )
        return self.respond(self.read_back(visit.pk), created=True)
