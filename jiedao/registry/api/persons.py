"""/api/v1/persons/: the actual population, searched, registered and followed through life events."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Prefetch
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from jiedao.core.exceptions import ValidationFailed
from jiedao.dictionaries import selectors as dictionaries
from jiedao.registry import services
from jiedao.registry.api.base import RegistryViewSet, ServiceWriteMixin
from jiedao.registry.api.migrants import with_migrant_extras
from jiedao.registry.api.params import (
    EDIT_ERRORS,
    ID_PATH,
    LIST_ERRORS,
    ORG_PARAMETER,
    READ_ERRORS,
    WRITE_ERRORS,
    QueryParams,
    search_parameter,
)
from jiedao.registry.api.serializers import (
    AddressChangeSerializer,
    DeathSerializer,
    LifeEventSerializer,
    MigrantRegisterSerializer,
    MigrantSerializer,
    MoveOutSerializer,
    PersonMoveInSerializer,
    PersonSerializer,
    PhotoUploadSerializer,
    RevealSerializer,
    SpecialGroupTagSerializer,
    TagAddSerializer,
    TagEndSerializer,
    TagRenewSerializer,
    overlay,
)
from jiedao.registry.choices import PersonStatus, ResidenceSplit
from jiedao.registry.models import Migrant, Person, SpecialGroupTag
from jiedao.registry.selectors import (
    ENCRYPTED_PERSON_FIELDS,
    PersonFilter,
    person_filters_refused,
    search_persons,
)
from jiedao.registry.services.common import community_errors
from jiedao.registry.services.persons import person_set_photo

TAGS = ["registry-persons"]
PERSON_BASE = {"name": "", "id_number": "", "org": None}
# Derived from the ID number: an update that changes the number must not be held to the old values.
DERIVED = ("gender", "birth_date")

PERSON_FILTERS = [
    OpenApiParameter(
        "q",
        OpenApiTypes.STR,
        description="证件号码或电话号码（精确；已合并记录的号码找到其合并到的人员）、姓名前缀、全拼前缀或拼音首字母"
        "前缀，如 张三、zhangsan、zs",
    ),
    search_parameter(),
    OpenApiParameter("address", OpenApiTypes.STR, description="现住址片段，如 幸福路12号"),
    ORG_PARAMETER,
    OpenApiParameter(
        "status",
        OpenApiTypes.STR,
        enum=PersonStatus.values,
        description="人员状态；不传时列出除已合并（merged）外的全部人员，merged 只列已合并的重复记录",
    ),
    OpenApiParameter("gender", OpenApiTypes.STR, enum=["1", "2"], description="性别：1 男，2 女"),
    OpenApiParameter(
        "tag",
        OpenApiTypes.STR,
        many=True,
        explode=True,
        description="今天有效的特殊人群标记（字典 special_group），可重复，满足其一即可：?tag=dibao&tag=disabled",
    ),
    OpenApiParameter("age_min", OpenApiTypes.INT, description="最小周岁年龄（含）"),
    OpenApiParameter("age_max", OpenApiTypes.INT, description="最大周岁年龄（含）"),
    OpenApiParameter("migrant", OpenApiTypes.BOOL, description="true 只列流动人口，false 只列非流动人口"),
    OpenApiParameter(
        "residence_split",
        OpenApiTypes.STR,
        enum=ResidenceSplit.values,
        description="人户状态（只含现居住人员；社区按人员所属社区计，网格计入其社区）：consistent 人户一致"
        "（是本社区户的成员且居住在本社区房屋），away 户在人不在（是本社区户的成员，未居住在本社区房屋），"
        "elsewhere 人在户不在（居住在本社区房屋，不是本社区户的成员）",
    ),
]
TAG_ID = OpenApiParameter("tag_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="特殊人群标记编号")


def with_person_extras(queryset):
    """What a person's JSON shows besides its own columns, in a fixed number of queries."""
    return (
        queryset.defer(*ENCRYPTED_PERSON_FIELDS)
        .select_related("org", "membership__household")
        .annotate(has_migrant=Exists(Migrant.objects.filter(person=OuterRef("pk"))))
        .prefetch_related(
            Prefetch(
                "tags",
                queryset=SpecialGroupTag.objects.filter(SpecialGroupTag.valid_on(timezone.localdate())),
                to_attr="active_tags",
            )
        )
    )


def photo_response(person: Person) -> FileResponse:
    """A person's photo, shown inline and never cached by shared caches."""
    if not person.photo:
        raise Http404(_("该居民没有照片。"))
    response = FileResponse(person.photo.open("rb"))  # the type from the stored name (.jpg / .png)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def evidence_response(tag: SpecialGroupTag) -> FileResponse:
    """The evidence file of a tag, as a download."""
    if not tag.evidence_file:
        raise Http404(_("该标记没有证明材料。"))
    extension = "." + tag.evidence_file.name.rsplit(".", 1)[-1].lower()
    response = FileResponse(
        tag.evidence_file.open("rb"),
        as_attachment=True,
        filename=_("证明材料-%(n)s%(e)s") % {"n": tag.pk, "e": extension},
    )
    response["Cache-Control"] = "private, no-store"
    return response


@extend_schema_view(
    list=extend_schema(
        summary="人口列表与查询",
        description="您管辖范围内的实有人口，按姓名排序、分页。证件号码与电话只返回打码值。",
        parameters=PERSON_FILTERS,
        responses={200: PersonSerializer(many=True), **LIST_ERRORS},
    ),
    retrieve=extend_schema(
        summary="人口详情",
        description="含所在的户、今天有效的特殊人群标记；证件号码与电话只返回打码值，完整值见 reveal。",
        parameters=[ID_PATH],
        responses={200: PersonSerializer, **READ_ERRORS},
    ),
    create=extend_schema(
        summary="登记人口",
        description="由 `person_create` 校验并登记：性别与出生日期由证件号码推算；证件号码已登记的请办理迁入。"
        '一次返回全部字段错误，如 `{"errors": {"id_number": ["公民身份号码校验位错误：…"]}}`。',
        responses={201: PersonSerializer, **WRITE_ERRORS},
    ),
    update=extend_schema(
        summary="修改人口信息",
        description="由 `person_update` 校验。未提供的字段保持原值（PUT 与 PATCH 相同）；id_number、phone "
        "只写，不提供则不变。人员状态通过死亡、迁出、迁入等事项变更。",
        parameters=[ID_PATH],
        responses={200: PersonSerializer, **EDIT_ERRORS},
    ),
    partial_update=extend_schema(
        summary="修改人口信息（部分）",
        description="同 PUT：只修改提供的字段。",
        parameters=[ID_PATH],
        responses={200: PersonSerializer, **EDIT_ERRORS},
    ),
)
@extend_schema(tags=TAGS)
class PersonViewSet(ServiceWriteMixin, RegistryViewSet):
    """实有人口。"""

    model = Person
    queryset = Person.objects.all()
    serializer_class = PersonSerializer
    action_permissions = {
        "reveal": "registry.view_full_person",
        "events": "registry.view_lifeevent",
        "move_in": "add",
        "death": "change",
        "move_out": "change",
        "address": "change",
        "tags": "change",
        "end_tag": "change",
        "renew_tag": "change",
        "tag_evidence": "registry.view_specialgrouptag",
        "upload_photo": "change",
        "delete_photo": "change",
        "migrant": "change",
    }

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Person.objects.none()
        if self.action == "list":
            # counted and keyed as it is; the page's rows get `with_extras` (KeyedPagination)
            return search_persons(self.request.user, self.person_filter())
        queryset = super().get_queryset()
        if self.action == "reveal":
            return queryset
        return queryset.defer(*ENCRYPTED_PERSON_FIELDS)

    def with_extras(self, queryset):
        return with_person_extras(queryset)

    def person_filter(self) -> PersonFilter:
        params = QueryParams(self.request, self.required_permission())
        criteria = PersonFilter(
            q=params.search(),
            address=params.text("address"),
            org=params.org(),
            status=params.choice("status", PersonStatus.values),
            gender=params.choice("gender", ["1", "2"]),
            # a misspelt group (?tag=dibo) is refused rather than answered with an empty list
            tags=params.choices("tag", list(dictionaries.labels("special_group"))),
            age_min=params.integer("age_min", maximum=150),
            age_max=params.integer("age_max", maximum=150),
            migrant=params.boolean("migrant"),
            residence_split=params.choice("residence_split", ResidenceSplit.values),
        )
        if (
            criteria.age_min is not None
            and criteria.age_max is not None
            and criteria.age_max < criteria.age_min
        ):
            params.errors["age_max"] = [_("年龄上限不能小于下限。")]
        for name in person_filters_refused(self.request.user):
            if getattr(criteria, name):
                parameter = "tag" if name == "tags" else name
                params.errors[parameter] = [_("您没有查看相应信息的权限，不能按此条件筛选。")]
        params.check()
        return criteria

    # --- create / update ---------------------------------------------------------------------------

    def service_create(self, validated):
        data = overlay(services.PersonData, validated, base=PERSON_BASE)
        return services.person_create(actor=self.request.user, data=data)

    def service_update(self, person, validated):
        data = overlay(services.PersonData, validated, instance=person, base=PERSON_BASE, skip=DERIVED)
        return services.person_update(
            actor=self.request.user, person=person, data=data, seen_updated_at=validated.get("updated_at")
        )

    # --- personal numbers --------------------------------------------------------------------------

    @extend_schema(
        summary="查看完整证件号码和电话",
        description="需要 registry.view_full_person 权限（否则 403）；每次查看都记入审计日志。响应不缓存。",
        request=None,
        parameters=[ID_PATH],
        responses={200: RevealSerializer, **READ_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def reveal(self, request, pk=None):
        values = services.person_reveal(actor=request.user, person=self.get_object())
        response = Response(RevealSerializer(values).data)
        response["Cache-Control"] = "no-store"
        return response

    # --- life events -------------------------------------------------------------------------------

    @extend_schema(
        summary="人口事项时间线",
        description="登记、出生、迁入、迁出、分户、地址变更、特殊人群标记等，新的在前（需 registry.view_lifeevent）。",
        parameters=[ID_PATH],
        responses={200: LifeEventSerializer(many=True), **READ_ERRORS},
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def events(self, request, pk=None):
        person = self.get_object()
        events = person.life_events.select_related("actor")
        return Response(LifeEventSerializer(events, many=True).data)

    @extend_schema(
        summary="迁入登记",
        description="由 `person_move_in` 办理：此前在其他社区迁出的居民被接收（保留时间线），其余新登记。"
        "org 必填，须在您的管辖范围内。",
        request=PersonMoveInSerializer,
        responses={201: PersonSerializer, **WRITE_ERRORS},
    )
    @action(detail=False, methods=["post"], url_path="move-in")
    def move_in(self, request):
        validated = self.parse(PersonMoveInSerializer)
        data = overlay(services.PersonData, validated, base=PERSON_BASE)
        if data.org is None:
            raise ValidationFailed(community_errors(None))
        person = services.person_move_in(
            actor=request.user,
            data=data,
            moved_on=validated.get("moved_on") or timezone.localdate(),
            origin=validated.get("origin", ""),
        )
        return self.respond(self.read_back(person.pk), created=True)

    @extend_schema(
        summary="死亡登记",
        description="由 `person_register_death` 办理；户主且户内还有其他成员的，须先变更户主。",
        request=DeathSerializer,
        parameters=[ID_PATH],
        responses={200: PersonSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def death(self, request, pk=None):
        person = self.get_object()
        validated = self.parse(DeathSerializer)
        services.person_register_death(
            actor=request.user, person=person, died_on=validated["died_on"], note=validated.get("note", "")
        )
        return self.respond(self.read_back(person.pk))

    @extend_schema(
        summary="迁出登记",
        description="由 `person_move_out` 办理：人员状态改为已迁出，并离开所在的户。",
        request=MoveOutSerializer,
        parameters=[ID_PATH],
        responses={200: PersonSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="move-out")
    def move_out(self, request, pk=None):
        person = self.get_object()
        validated = self.parse(MoveOutSerializer)
        services.person_move_out(
            actor=request.user,
            person=person,
            moved_on=validated.get("moved_on") or timezone.localdate(),
            destination=validated.get("destination", ""),
        )
        return self.respond(self.read_back(person.pk))

    @extend_schema(
        summary="地址变更",
        description="由 `person_change_address` 办理，限同一社区内；跨社区请办理迁出、迁入。",
        request=AddressChangeSerializer,
        parameters=[ID_PATH],
        responses={200: PersonSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def address(self, request, pk=None):
        person = self.get_object()
        validated = self.parse(AddressChangeSerializer)
        services.person_change_address(
            actor=request.user,
            person=person,
            house=validated.get("house"),
            relation=validated.get("house_relation") or person.house_relation,
            residence_address=validated.get("residence_address", ""),
            changed_on=validated.get("changed_on"),
        )
        return self.respond(self.read_back(person.pk))

    @extend_schema(
        summary="标记特殊人群",
        description="由 `tag_add` 办理：类别取自字典 special_group，同一类别的有效期不能重叠。",
        request=TagAddSerializer,
        parameters=[ID_PATH],
        responses={201: SpecialGroupTagSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"], parser_classes=[JSONParser, MultiPartParser, FormParser])
    def tags(self, request, pk=None):
        person = self.get_object()
        validated = self.parse(TagAddSerializer)
        tag = services.tag_add(
            actor=request.user,
            person=person,
            group=validated["group"],
            valid_from=validated["valid_from"],
            valid_until=validated.get("valid_until"),
            evidence=validated.get("evidence", ""),
            details=validated.get("details"),
            evidence_file=validated.get("evidence_file"),
        )
        return self.respond(tag, SpecialGroupTagSerializer, created=True)

    @extend_schema(
        summary="下载特殊人群标记的证明材料",
        description="需要 registry.view_specialgrouptag 权限，且该居民在您的管辖范围内；没有材料时 404。",
        parameters=[ID_PATH, TAG_ID],
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, **READ_ERRORS},
    )
    @action(detail=True, methods=["get"], url_path=r"tags/(?P<tag_id>[0-9]+)/evidence")
    def tag_evidence(self, request, pk=None, tag_id=None):
        tag = get_object_or_404(
            SpecialGroupTag.objects.visible_to(request.user, "view").filter(person_id=pk), pk=tag_id
        )
        return evidence_response(tag)

    # --- photo -------------------------------------------------------------------------------------

    @extend_schema(
        summary="照片",
        description="居民的照片（JPEG 或 PNG）；没有照片时 404。",
        parameters=[ID_PATH],
        responses={(200, "image/*"): OpenApiTypes.BINARY, **READ_ERRORS},
    )
    @action(detail=True, methods=["get"])
    def photo(self, request, pk=None):
        return photo_response(self.get_object())

    @extend_schema(
        summary="上传或更换照片",
        description="由 `person_set_photo` 办理：multipart/form-data 的 photo 字段，JPEG 或 PNG（按内容识别），"
        "大小上限同办事材料。",
        request={"multipart/form-data": PhotoUploadSerializer},
        parameters=[ID_PATH],
        responses={200: PersonSerializer, **WRITE_ERRORS},
    )
    @photo.mapping.post
    def upload_photo(self, request, pk=None):
        person = self.get_object()
        validated = self.parse(PhotoUploadSerializer)
        person_set_photo(actor=request.user, person=person, photo=validated["photo"])
        return self.respond(self.read_back(person.pk))

    @extend_schema(
        summary="删除照片",
        request=None,
        parameters=[ID_PATH],
        responses={200: PersonSerializer, **WRITE_ERRORS},
    )
    @photo.mapping.delete
    def delete_photo(self, request, pk=None):
        person = self.get_object()
        person_set_photo(actor=request.user, person=person, photo=None)
        return self.respond(self.read_back(person.pk))

    @extend_schema(
        summary="解除特殊人群标记",
        description="由 `tag_end` 办理：设定截止日期；已迁出或死亡的居民，截止日期不能晚于迁出或死亡日期。",
        request=TagEndSerializer,
        parameters=[ID_PATH, TAG_ID],
        responses={200: SpecialGroupTagSerializer, **EDIT_ERRORS},
    )
    @action(detail=True, methods=["post"], url_path=r"tags/(?P<tag_id>[0-9]+)/end")
    def end_tag(self, request, pk=None, tag_id=None):
        person = self.get_object()
        tag = get_object_or_404(SpecialGroupTag, pk=tag_id, person=person)
        validated = self.parse(TagEndSerializer)
        tag = services.tag_end(
            actor=request.user,
            tag=tag,
            valid_until=validated["valid_until"],
            reason=validated.get("reason", ""),
            seen_updated_at=validated.get("updated_at"),
        )
        return self.respond(tag, SpecialGroupTagSerializer)

    @extend_schema(
        summary="续期特殊人群标记",
        description="由 `tag_renew` 办理：同一类别自原截止日期次日起的新一期，残疾类别与等级沿用；"
        "长期有效的标记无需续期，已续期的再次续期因期间重叠被拒绝。待复核的标记见 /api/v1/tag-reviews/。",
        request=TagRenewSerializer,
        parameters=[ID_PATH, TAG_ID],
        responses={201: SpecialGroupTagSerializer, **EDIT_ERRORS},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"tags/(?P<tag_id>[0-9]+)/renew",
        parser_classes=[JSONParser, MultiPartParser, FormParser],
    )
    def renew_tag(self, request, pk=None, tag_id=None):
        person = self.get_object()
        tag = get_object_or_404(SpecialGroupTag, pk=tag_id, person=person)
        validated = self.parse(TagRenewSerializer)
        renewed = services.tag_renew(
            actor=request.user,
            tag=tag,
            valid_until=validated.get("valid_until"),
            evidence=validated.get("evidence", ""),
            evidence_file=validated.get("evidence_file"),
            seen_updated_at=validated.get("updated_at"),
        )
        return self.respond(renewed, SpecialGroupTagSerializer, created=True)

    @extend_schema(
        summary="流动人口登记或修改",
        description="由 `migrant_register` 办理（需 registry.change_person）。首次登记须填 origin_address 与 "
        "arrival_date（201）；已登记的只修改提供的字段（200）。流动人口的查询见 /api/v1/migrants/。",
        request=MigrantRegisterSerializer,
        parameters=[ID_PATH],
        responses={200: MigrantSerializer, 201: MigrantSerializer, **EDIT_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def migrant(self, request, pk=None):
        person = self.get_object()
        validated = self.parse(MigrantRegisterSerializer)
        existing = Migrant.objects.filter(person=person).first()
        data = overlay(
            services.MigrantData,
            validated,
            instance=existing,
            base={"origin_address": "", "arrival_date": None},
            skip=("extra",),
        )
        errors = {}
        if data.arrival_date is None:
            errors["arrival_date"] = [_("请填写来本地日期。")]
            if not data.origin_address.strip():
                errors["origin_address"] = [_("请填写来源地。")]
        if errors:
            raise ValidationFailed(errors)
        # the record as loaded here, unless the client says what it read: the fields not sent were filled in
        # from it, and a record changed (or registered) since is refused rather than overwritten with them
        migrant = services.migrant_register(
            actor=request.user,
            person=person,
            data=data,
            seen_updated_at=validated.get("updated_at") or (existing.updated_at if existing else None),
            seen_unregistered=existing is None,
        )
        migrant = self.read_back(migrant.pk, model=Migrant, extras=with_migrant_extras)
        return self.respond(migrant, MigrantSerializer, created=existing is None)
