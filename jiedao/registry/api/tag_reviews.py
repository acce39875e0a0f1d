"""/api/v1/tag-reviews/: 特殊人群到期复核 for a grid worker's app or a district platform — the tags of the
caller's scope ending soon and not yet renewed (`selectors.tags_due_for_review`, as the staff page). A tag is
renewed by `POST /api/v1/persons/{id}/tags/{tag_id}/renew/`."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers

from jiedao.core.api.viewsets import ScopedGenericViewSet
from jiedao.dictionaries import selectors as dictionaries
from jiedao.registry.api.base import KeyedPagination
from jiedao.registry.api.params import LIST_ERRORS, ORG_PARAMETER, QueryParams
from jiedao.registry.api.serializers import SpecialGroupTagSerializer
from jiedao.registry.models import SpecialGroupTag
from jiedao.registry.selectors import tags_due_for_review, with_tag_person


class TagReviewSerializer(SpecialGroupTagSerializer):
    person = serializers.IntegerField(source="person_id", help_text="人员编号（/api/v1/persons/{id}/）")
    person_name = serializers.CharField(source="person.name", label="姓名")
    person_id_number_masked = serializers.CharField(
        source="person.id_number_masked", label="证件号码（打码）"
    )
    org_name = serializers.CharField(source="person.org.name", label="所属社区/网格")
    days_left = serializers.SerializerMethodField(help_text="距截止日期的天数，0 为今日到期")

    class Meta(SpecialGroupTagSerializer.Meta):
        fields = [
            *SpecialGroupTagSerializer.Meta.fields,
            "person",
            "person_name",
            "person_id_number_masked",
            "org_name",
            "days_left",
        ]
        read_only_fields = fields

    def get_days_left(self, tag) -> int:
        return tag.days_left_on(timezone.localdate())


@extend_schema(tags=["registry-persons"])
class TagReviewViewSet(mixins.ListModelMixin, ScopedGenericViewSet):
    """The list only: a tag is read and changed under its person (/api/v1/persons/{id}/)."""

    model = SpecialGroupTag
    serializer_class = TagReviewSerializer
    pagination_class = KeyedPagination

    def with_extras(self, queryset):
        return with_tag_person(queryset)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return SpecialGroupTag.objects.none()
        params = QueryParams(self.request, self.required_permission())
        org = params.org()
        group = params.choice("group", list(dictionaries.labels("special_group")))
        params.check()
        queryset = tags_due_for_review(self.request.user, action=self.required_permission())
        if org is not None:
            queryset = queryset.filter(person__org__path__startswith=org.path)
        if group:
            queryset = queryset.filter(group=group)
        return queryset

    @extend_schema(
        operation_id="tag_reviews_list",
        summary="特殊人群到期复核",
        description="您管辖范围内现居住人员的特殊人群标记中，截止日期在今天至参数 registry.tag_review_days"
        "（默认 30）天内、尚未续期的，截止日期近的在前；复核后用 POST /api/v1/persons/{id}/tags/{tag_id}/renew/ 续期。",
        parameters=[
            ORG_PARAMETER,
            OpenApiParameter(
                "group", OpenApiTypes.STR, description="人群类别（字典 special_group 的代码，如 dibao）"
            ),
        ],
        responses={200: TagReviewSerializer(many=True), **LIST_ERRORS},
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)
