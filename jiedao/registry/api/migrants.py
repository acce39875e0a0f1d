"""/api/v1/migrants/: the floating population, read-only here.

Registering a migrant and changing the record go through `POST /api/v1/persons/{id}/migrant/`
(`migrant_register`), because a migrant record always belongs to a registered person.
"""

from __future__ import annotations

import re

from django.db.models import Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view

from jiedao.registry.api.base import RegistryViewSet
from jiedao.registry.api.params import (
    ID_PATH,
    LIST_ERRORS,
    ORG_PARAMETER,
    READ_ERRORS,
    QueryParams,
    search_parameter,
)
from jiedao.registry.api.serializers import MigrantSerializer
from jiedao.registry.models import Migrant, Person
from jiedao.registry.selectors import ENCRYPTED_PERSON_FIELDS, expiring_permits, migrant_term_condition

REGION_CODE = re.compile(r"\d{2}(?:\d{2}(?:\d{2})?)?")


def origin_condition(origin: str) -> Q:
    """2, 4 or 6 digits: the origin's division code and the divisions under it (34 = 安徽省, 3412 = 阜阳市);
    anything else: a fragment of the origin address (阜阳)."""
    if REGION_CODE.fullmatch(origin):
        return Q(origin_region_code__startswith=origin)
    return Q(origin_address__contains=origin)


def with_migrant_extras(queryset):
    return queryset.select_related("person", "person__org").defer(
        *(f"person__{name}" for name in ENCRYPTED_PERSON_FIELDS)
    )


@extend_schema_view(
    list=extend_schema(
        summary="流动人口列表与查询",
        description="您管辖范围内的流动人口，按居住证有效期排序；可按姓名、证件号码、电话、来源地查询。"
        "登记与修改请用 POST /api/v1/persons/{id}/migrant/。",
        parameters=[
            OpenApiParameter(
                "expiring_within",
                OpenApiTypes.INT,
                description="只列居住证在今天起若干天内（含今天）到期、仍在本地居住的人员，如 30",
            ),
            OpenApiParameter(
                "q",
                OpenApiTypes.STR,
                description="同 /api/v1/persons/ 的 q：证件号码或电话号码（精确，按检索索引查找）、姓名前缀、"
                "全拼前缀或拼音首字母前缀，如 张三、zhangsan、zs",
            ),
            search_parameter(),
            OpenApiParameter(
                "origin",
                OpenApiTypes.STR,
                description="来源地：2、4 或 6 位数字按区划代码前缀查找（34 安徽省、3412 阜阳市），"
                "其他按来源地地址片段查找，如 阜阳",
            ),
            ORG_PARAMETER,
        ],
        responses={200: MigrantSerializer(many=True), **LIST_ERRORS},
    ),
    retrieve=extend_schema(
        summary="流动人口详情", parameters=[ID_PATH], responses={200: MigrantSerializer, **READ_ERRORS}
    ),
)
@extend_schema(tags=["registry-migrants"])
class MigrantViewSet(RegistryViewSet):
    """流动人口（只读；登记见 persons/{id}/migrant/）。"""

    model = Migrant
    queryset = Migrant.objects.all()
    serializer_class = MigrantSerializer

    def with_extras(self, queryset):
        return with_migrant_extras(queryset)

    def filter_list(self, queryset):
        params = QueryParams(self.request, self.required_permission())
        within = params.integer("expiring_within", maximum=3650)
        term, origin = params.search(), params.text("origin")
        org = params.org()
        params.check()
        # the list has no status filter: every migrant record but a merged duplicate's (see search_persons)
        queryset = queryset.filter(Person.unmerged_condition("person__"))
        if term:
            queryset = queryset.filter(migrant_term_condition(term))
        if origin:
            queryset = queryset.filter(origin_condition(origin))
        if within is not None:
            queryset = queryset.filter(
                pk__in=expiring_permits(self.request.user, within_days=within).values("pk")
            )
        if org is not None:
            queryset = queryset.filter(person__org__path__startswith=org.path)
        return queryset
