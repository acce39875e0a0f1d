"""/api/v1/buildings/, /api/v1/houses/, /api/v1/enterprises/: standard addresses, actual houses and units."""

from __future__ import annotations

import re

from django.db.models import Count, Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.response import Response

from jiedao.core.exceptions import ValidationFailed
from jiedao.registry import services
from jiedao.registry.api.base import RegistryViewSet, ServiceWriteMixin
from jiedao.registry.api.grid import BuildingGridSerializer
from jiedao.registry.api.params import (
    ID_PATH,
    LIST_ERRORS,
    ORG_PARAMETER,
    READ_ERRORS,
    WRITE_ERRORS,
    QueryParams,
    search_parameter,
)
from jiedao.registry.api.serializers import (
    BuildingSerializer,
    EnterpriseSerializer,
    HouseSerializer,
    overlay,
)
from jiedao.registry.building_grid import building_grid, unregistered_rentals
from jiedao.registry.choices import EnterpriseStatus, HouseUse, PersonStatus
from jiedao.registry.models import Building, Enterprise, House
from jiedao.registry.services.common import community_errors

USCC_SHAPE = re.compile(r"^[0-9A-Z]{18}$")


def _crud_docs(noun: str, serializer, create: str, update: str, list_description: str, parameters):
    return extend_schema_view(
        list=extend_schema(
            summary=f"{noun}列表",
            description=list_description,
            parameters=parameters,
            responses={200: serializer(many=True), **LIST_ERRORS},
        ),
        retrieve=extend_schema(
            summary=f"{noun}详情", parameters=[ID_PATH], responses={200: serializer, **READ_ERRORS}
        ),
        create=extend_schema(
            summary=f"登记{noun}", description=create, responses={201: serializer, **WRITE_ERRORS}
        ),
        update=extend_schema(
            summary=f"修改{noun}",
            description=update + "未提供的字段保持原值（PUT 与 PATCH 相同）。",
            parameters=[ID_PATH],
            responses={200: serializer, **WRITE_ERRORS},
        ),
        partial_update=extend_schema(
            summary=f"修改{noun}（部分）", parameters=[ID_PATH], responses={200: serializer, **WRITE_ERRORS}
        ),
    )


# --- buildings ------------------------------------------------------------------------------------------


@_crud_docs(
    "楼栋",
    BuildingSerializer,
    "由 `building_create` 办理：门牌地址加楼栋名称唯一，须登记在社区或网格。",
    "由 `building_update` 办理；楼栋地址变化时其房屋的地址随之更新。",
    "您管辖范围内的楼栋（标准地址），按门牌地址排序。",
    [
        OpenApiParameter("address", OpenApiTypes.STR, description="门牌地址或楼栋名称片段，如 幸福路"),
        search_parameter("address"),
        ORG_PARAMETER,
    ],
)
@extend_schema(tags=["registry-houses"])
class BuildingViewSet(ServiceWriteMixin, RegistryViewSet):
    """楼栋。"""

    model = Building
    queryset = Building.objects.all()
    serializer_class = BuildingSerializer

    def with_extras(self, queryset):
        return queryset.select_related("org").annotate(house_count=Count("houses"))

    def filter_list(self, queryset):
        params = QueryParams(self.request, self.required_permission())
        address = params.search("address")
        org = params.org()
        params.check()
        if address:
            queryset = queryset.filter(Q(street_address__contains=address) | Q(name__contains=address))
        if org is not None:
            queryset = queryset.filter(org__path__startswith=org.path)
        return queryset

    @extend_schema(
        summary="楼盘表",
        description="楼栋页面的楼盘表：按单元、楼层（自顶层向下）排列您可查看的房屋，每间房屋的用途、出租、"
        "现居住人数、出租无人登记标记、人员标记，以及现居住人员（证件号码与电话只返回打码值；"
        "需 registry.view_person）；有入户核查查看权限（registry.view_housevisit）时另有最近核查日期和"
        "是否待核查（与网页“待核查房屋”同一规则），否则二者为 null。概况中的数字与页面相同。",
        parameters=[ID_PATH],
        responses={200: BuildingGridSerializer, **READ_ERRORS},
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def grid(self, request, pk=None):
        grid = building_grid(request.user, self.get_object(), occupants=True)
        return Response(BuildingGridSerializer(grid).data)

    def service_create(self, validated):
        base = {"org": None, "street_address": "", "name": ""}
        data = overlay(services.BuildingData, validated, base=base)
        return services.building_create(actor=self.request.user, data=data)

    def service_update(self, building, validated):
        data = overlay(services.BuildingData, validated, instance=building)
        return services.building_update(actor=self.request.user, building=building, data=data)


# --- houses ---------------------------------------------------------------------------------------------


@_crud_docs(
    "房屋",
    HouseSerializer,
    "由 `house_create` 办理：房屋属于一个楼栋（所属组织取自楼栋），完整地址唯一。",
    "由 `house_update` 办理；地址变化时现居住人员的现住址随之更新。",
    "您管辖范围内的房屋，按地址排序；resident_count 为现居住人数。",
    [
        OpenApiParameter("address", OpenApiTypes.STR, description="地址片段，如 3幢2单元"),
        search_parameter("address"),
        OpenApiParameter("use", OpenApiTypes.STR, enum=HouseUse.values, description="用途"),
        OpenApiParameter("rented", OpenApiTypes.BOOL, description="true 只列出租房屋，false 只列未出租的"),
        OpenApiParameter(
            "unregistered_rental",
            OpenApiTypes.BOOL,
            description="true 只列出租无人登记的房屋（出租或用途为出租、无人登记现居住、非商用），"
            "false 不列这些房屋",
        ),
        OpenApiParameter("building", OpenApiTypes.INT, description="楼栋编号"),
        ORG_PARAMETER,
    ],
)
@extend_schema(tags=["registry-houses"])
class HouseViewSet(ServiceWriteMixin, RegistryViewSet):
    """房屋（实有房屋）。"""

    model = House
    queryset = House.objects.all()
    serializer_class = HouseSerializer

    def with_extras(self, queryset):
        return queryset.select_related("org", "building").annotate(
            resident_count=Count("residents", filter=Q(residents__status=PersonStatus.LIVING))
        )

    def filter_list(self, queryset):
        params = QueryParams(self.request, self.required_permission())
        address = params.search("address")
        use = params.choice("use", HouseUse.values)
        rented = params.boolean("rented")
        unregistered = params.boolean("unregistered_rental")
        building = params.integer("building", minimum=1, maximum=2**31 - 1)
        org = params.org()
        params.check()
        if address:
            queryset = queryset.filter(full_address__contains=re.sub(r"\s+", "", address))
        if use:
            queryset = queryset.filter(use=use)
        if rented is not None:
            queryset = queryset.filter(is_rented=rented)
        if unregistered is not None:
            queryset = queryset.filter(unregistered_rentals() if unregistered else ~unregistered_rentals())
        if building is not None:
            queryset = queryset.filter(building_id=building)
        if org is not None:
            queryset = queryset.filter(org__path__startswith=org.path)
        return queryset

    def service_create(self, validated):
        data = overlay(services.HouseData, validated, base={"building": None, "room": ""})
        return services.house_create(actor=self.request.user, data=data)

    def service_update(self, house, validated):
        data = overlay(services.HouseData, validated, instance=house)
        return services.house_update(actor=self.request.user, house=house, data=data)


# --- enterprises ----------------------------------------------------------------------------------------


@_crud_docs(
    "企业",
    EnterpriseSerializer,
    "由 `enterprise_create` 办理：统一社会信用代码按 GB 32100 校验（含校验位），全局唯一。",
    "由 `enterprise_update` 办理；contact_phone 只写，不提供则不变。",
    "您管辖范围内的实有单位，按名称排序。联系电话只返回打码值。",
    [
        OpenApiParameter("q", OpenApiTypes.STR, description="名称前缀，或 18 位统一社会信用代码（精确匹配）"),
        search_parameter(),
        OpenApiParameter("status", OpenApiTypes.STR, enum=EnterpriseStatus.values, description="经营状态"),
        ORG_PARAMETER,
    ],
)
@extend_schema(tags=["registry-enterprises"])
class EnterpriseViewSet(ServiceWriteMixin, RegistryViewSet):
    """企业（实有单位）。"""

    model = Enterprise
    queryset = Enterprise.objects.all()
    serializer_class = EnterpriseSerializer

    def with_extras(self, queryset):
        return queryset.select_related("org", "house")

    def filter_list(self, queryset):
        params = QueryParams(self.request, self.required_permission())
        term = params.search()
        status = params.choice("status", EnterpriseStatus.values)
        org = params.org()
        params.check()
        if term:
            condition = Q(name__startswith=term)
            if USCC_SHAPE.match(term.upper()):
                condition |= Q(uscc=term.upper())
            queryset = queryset.filter(condition)
        if status:
            queryset = queryset.filter(status=status)
        if org is not None:
            queryset = queryset.filter(org__path__startswith=org.path)
        return queryset

    def service_create(self, validated):
        if validated.get("org") is None and validated.get("house") is not None:
            # the service compares the house's community with the org's and needs an org to do so
            raise ValidationFailed(community_errors(None))
        base = {"name": "", "uscc": "", "legal_representative": "", "address": ""}
        data = overlay(services.EnterpriseData, validated, base=base)
        return services.enterprise_create(actor=self.request.user, data=data)

    def service_update(self, enterprise, validated):
        data = overlay(services.EnterpriseData, validated, instance=enterprise)
        return services.enterprise_update(actor=self.request.user, enterprise=enterprise, data=data)
