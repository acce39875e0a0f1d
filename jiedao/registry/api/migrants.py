"""/api/v1/migrants/: the floating population, read-only here.

Registering a migrant and changing the record go through `POST /api/v1/persons/{id}/migrant/`
(`migrant_register`), because a migrant record always belongs to a registered person.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view

from jiedao.registry.api.base import RegistryViewSet
from jiedao.registry.api.params import ID_PATH, LIST_ERRORS, ORG_PARAMETER, READ_ERRORS, QueryParams
from jiedao.registry.api.serializers import MigrantSerializer
from jiedao.registry.models import Migrant
from jiedao.registry.selectors import ENCRYPTED_PERSON_FIELDS, expiring_permits


def with_migrant_extras(queryset):
    return queryset.select_related("person", "person__org").defer(
        *(f"person__{name}" for name in ENCRYPTED_PERSON_FIELDS)
    )


@extend_schema_view(
    list=extend_schema(
        summary="流动人口列表",
        description="您管辖范围内的流动人口，按居住证有效期排序。登记与修改请用 POST /api/v1/persons/{id}/migrant/。",
        parameters=[
            OpenApiParameter(
                "expiring_within",
                OpenApiTypes.INT,
                description="只列居住证在今天起若干天内（含今天）到期、仍在本地居住的人员，如 30",
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
        org = params.org()
        params.check()
        if within is not None:
            queryset = queryset.filter(
                pk__in=expiring_permits(self.request.user, within_days=within).values("pk")
            )
        if org is not None:
            queryset = queryset.filter(person__org__path__startswith=org.path)
        return queryset
