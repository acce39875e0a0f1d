"""The registry's base viewset: scoped reads (ScopedViewSetMixin) and writes that go through a service."""

from __future__ import annotations

from django.db.models import QuerySet
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from jiedao.core.api.pagination import Pagination
from jiedao.core.api.viewsets import ScopedViewSetMixin
from jiedao.registry.paging import page_keys, rows_in_order

READ_ACTIONS = ("list", "retrieve")


class KeyedPagination(Pagination):
    """`?limit=&offset=` read as the page's keys, then its rows with the view's extras (`registry.paging`):
    `?offset=999950` of a district's persons costs what the first page does."""

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.limit = self.get_limit(request)
        if self.limit is None:
            return None
        self.count = self.get_count(queryset)
        self.offset = self.get_offset(request)
        if self.count > self.limit and self.template is not None:
            self.display_page_controls = True
        if self.count == 0 or self.offset > self.count:
            return []
        keys = page_keys(queryset, self.offset, min(self.offset + self.limit, self.count), self.count)
        return rows_in_order(queryset.model, keys, view.with_extras if view is not None else None)


class RegistryViewSet(
    ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """List and retrieve within the caller's scope; subclasses add `service_create` / `service_update`.

    After a write the record is read back through `visible_to` with the action's permission (the one the
    service has just checked), with the same extras as a detail read.
    """

    lookup_value_regex = "[0-9]+"
    pagination_class = KeyedPagination

    def with_extras(self, queryset: QuerySet) -> QuerySet:
        """select_related / prefetch / annotations for reading (list and detail)."""
        return queryset

    def filter_list(self, queryset: QuerySet) -> QuerySet:
        """The list's query parameters."""
        return queryset

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.model.objects.none()
        queryset = super().get_queryset()
        if self.action == "list":
            # counted and keyed as it is; the page's rows get `with_extras` (KeyedPagination)
            return self.filter_list(queryset)
        if self.action in READ_ACTIONS:
            queryset = self.with_extras(queryset)
        return queryset

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        if page is not None:
            return self.get_paginated_response(self.get_serializer(page, many=True).data)
        return Response(self.get_serializer(self.with_extras(queryset), many=True).data)

    def read_back(self, pk: int, *, model=None, extras=None):
        model = model or self.model
        queryset = model.objects.visible_to(self.request.user, self.required_permission())
        return (extras or self.with_extras)(queryset).get(pk=pk)

    def respond(self, instance, serializer_class=None, *, created: bool = False) -> Response:
        serializer_class = serializer_class or self.serializer_class
        data = serializer_class(instance, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    def parse(self, serializer_class, **kwargs) -> dict:
        """Validated input of an action's request body (DRF field errors → 400 JSON)."""
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context(), **kwargs)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


class ServiceWriteMixin:
    """POST / PUT / PATCH through the app's services. PUT and PATCH both leave fields not sent unchanged."""

    def service_create(self, validated: dict):  # pragma: no cover - defined by each viewset
        raise NotImplementedError

    def service_update(self, instance, validated: dict):  # pragma: no cover - defined by each viewset
        raise NotImplementedError

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        created = self.service_create(serializer.validated_data)
        return self.respond(self.read_back(created.pk), created=True)

    def update(self, request, *args, **kwargs):
        instance = self.get_object()
        serializer = self.get_serializer(instance, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        self.service_update(instance, serializer.validated_data)
        return self.respond(self.read_back(instance.pk))

    def partial_update(self, request, *args, **kwargs):
        kwargs["partial"] = True
        return self.update(request, *args, **kwargs)
