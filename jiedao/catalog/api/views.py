"""Catalog API: staff CRUD of service items (scoped, through the services) and the public read-only list."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from jiedao.catalog import selectors, services
from jiedao.catalog.api.serializers import (
    HallErrorSerializer,
    PublicServiceItemSerializer,
    ServiceItemSerializer,
)
from jiedao.catalog.choices import Audience, LifeEvent
from jiedao.catalog.models import ServiceItem
from jiedao.core.api.viewsets import ScopedViewSetMixin
from jiedao.core.exceptions import ValidationFailed

CODE_REGEX = "[A-Za-z0-9_.-]+"

APPROXIMATE_HEADER = "X-Search-Approximate"

ITEM_FILTERS = [
    OpenApiParameter(
        "q",
        OpenApiTypes.STR,
        description=(
            "事项名称或编码，多个词语用空格或标点分开，须全部包含；没有事项全部包含时，返回名称含有这些字的"
            f"近似事项，响应头 {APPROXIMATE_HEADER} 为 true"
        ),
    ),
    OpenApiParameter(
        "audience", OpenApiTypes.STR, enum=[Audience.PERSON, Audience.ENTERPRISE], description="服务对象"
    ),
    OpenApiParameter("event", OpenApiTypes.STR, enum=LifeEvent.values, description="人生事件"),
    OpenApiParameter(
        APPROXIMATE_HEADER,
        OpenApiTypes.STR,
        location=OpenApiParameter.HEADER,
        response=[200],
        enum=["true", "false"],
        description=(
            "true：没有事项包含 q 的全部词语，列出的是名称含有这些字的近似事项（请向用户说明是“名称相近的事项”）；"
            "false：完全匹配，或未按 q 查询"
        ),
    ),
]


ERRORS = {
    400: OpenApiResponse(
        HallErrorSerializer, description="输入有误（中文字段错误见 errors），或事项当前不能如此操作"
    ),
    404: OpenApiResponse(
        HallErrorSerializer, description="事项不存在，或它（或所选实施主体）不在您的管辖范围内"
    ),
}


def _check_filters(params) -> None:
    """An unknown audience or life event is refused: ignoring it listed every item as if it had filtered."""
    errors = {}
    choices = {"audience": [Audience.PERSON, Audience.ENTERPRISE], "event": LifeEvent.values}
    for name, values in choices.items():
        value = params.get(name, "")
        if value and value not in values:
            errors[name] = [
                _("%(name)s 的取值无效，可选：%(values)s。") % {"name": name, "values": "、".join(values)}
            ]
    if errors:
        raise ValidationFailed(errors)


def _filter(queryset, params) -> tuple:
    """The items for the list's filters and whether the search by `q` is approximate (`item_matches`),
    decided within the audience and life event asked for."""
    _check_filters(params)
    queryset = selectors.filter_items(
        queryset, audience=params.get("audience", ""), life_event=params.get("event", "")
    )
    matches = selectors.item_matches(queryset, params.get("q", ""))
    return matches.items, matches.approximate


class ApproximateSearchMixin:
    """The list says in `X-Search-Approximate` whether its search found names alike rather than matches: the
    client must not present a guess (居家养老服务补贴申请 for 养老补贴) as what was asked for."""

    search_approximate = False

    def filtered(self, queryset):
        queryset, self.search_approximate = _filter(queryset, self.request.query_params)
        return queryset.order_by("org__path", "code")

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        response[APPROXIMATE_HEADER] = "true" if self.search_approximate else "false"
        return response


@extend_schema_view(
    list=extend_schema(summary="服务事项列表（数据范围内）", parameters=ITEM_FILTERS),
    retrieve=extend_schema(summary="服务事项详情"),
    create=extend_schema(summary="新建服务事项（未发布）", responses={201: ServiceItemSerializer, **ERRORS}),
    update=extend_schema(summary="修改服务事项", responses={200: ServiceItemSerializer, **ERRORS}),
    partial_update=extend_schema(
        summary="修改服务事项（部分字段）", responses={200: ServiceItemSerializer, **ERRORS}
    ),
    destroy=extend_schema(summary="删除未发布的服务事项", responses={204: None, **ERRORS}),
)
class ServiceItemViewSet(
    ApproximateSearchMixin,
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Service items of the caller's scope. Create, change, publish and delete go through the services:
    required guide fields, promised limit ≤ statutory limit and a unique code are checked there."""

    model = ServiceItem
    queryset = ServiceItem.objects.all()
    serializer_class = ServiceItemSerializer
    action_permissions = {"publish": "publish", "unpublish": "publish"}
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ServiceItem.objects.none()
        queryset = super().get_queryset().select_related("org").prefetch_related("materials")
        if self.action == "list":
            queryset = self.filtered(queryset)
        return queryset

    def _read_back(self, pk: int) -> ServiceItem:
        return ServiceItem.objects.select_related("org").prefetch_related("materials").get(pk=pk)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        org = data.pop("org")
        item = services.service_item_create(actor=request.user, org=org, data=data)
        return Response(self.get_serializer(self._read_back(item.pk)).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        item = self.get_object()
        serializer = self.get_serializer(item, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        org = data.pop("org", None)
        services.service_item_update(actor=request.user, item=item, data=data, org=org)
        return Response(self.get_serializer(self._read_back(item.pk)).data)

    def destroy(self, request, *args, **kwargs):
        services.service_item_delete(actor=request.user, item=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="发布服务事项（办事指南须完整；可网上申请的须已登记申请材料、办理流程已发布）",
        request=None,
        responses={200: ServiceItemSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        item = services.service_item_publish(actor=request.user, item=self.get_object(), published=True)
        return Response(self.get_serializer(self._read_back(item.pk)).data)

    @extend_schema(summary="撤回服务事项", request=None, responses={200: ServiceItemSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def unpublish(self, request, pk=None):
        item = services.service_item_publish(actor=request.user, item=self.get_object(), published=False)
        return Response(self.get_serializer(self._read_back(item.pk)).data)


@extend_schema_view(
    list=extend_schema(summary="已发布的服务事项（公开，无需登录）", parameters=ITEM_FILTERS, auth=[]),
    retrieve=extend_schema(summary="已发布服务事项的办事指南（公开，无需登录）", auth=[]),
)
class PublicServiceItemViewSet(ApproximateSearchMixin, viewsets.ReadOnlyModelViewSet):
    """The public catalog: published items only, by code; no authentication."""

    scope_exempt = "public catalog, published items only, no personal data"
    permission_classes = [AllowAny]
    authentication_classes: list = []
    serializer_class = PublicServiceItemSerializer
    lookup_field = "code"
    lookup_value_regex = CODE_REGEX
    queryset = ServiceItem.objects.none()

    def get_object(self):
        # Codes are stored upper-case (the service upper-cases them): qb-mz-001 finds QB-MZ-001.
        self.kwargs[self.lookup_field] = self.kwargs[self.lookup_field].upper()
        return super().get_object()

    def get_queryset(self):
        queryset = selectors.published_items()
        if self.action == "list":
            queryset = self.filtered(queryset)
        return queryset
