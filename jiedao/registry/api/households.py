"""/api/v1/households/: households (户) with members and relations; members, head, split, merge, birth."""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework.decorators import action

from jiedao.core.exceptions import ValidationFailed
from jiedao.registry import services
from jiedao.registry.api.base import RegistryViewSet, ServiceWriteMixin
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
from jiedao.registry.api.persons import PERSON_BASE, with_person_extras
from jiedao.registry.api.serializers import (
    AddMemberSerializer,
    BirthSerializer,
    ChangeHeadSerializer,
    HouseholdCreateSerializer,
    HouseholdSerializer,
    MergeSerializer,
    PersonSerializer,
    RemoveMemberSerializer,
    SplitSerializer,
    overlay,
)
from jiedao.registry.choices import HouseholdKind
from jiedao.registry.models import Household, HouseholdMember, Person
from jiedao.registry.selectors import ENCRYPTED_PERSON_FIELDS
from jiedao.registry.services.common import community_errors

PERSON_DEFERRED = [f"person__{name}" for name in ENCRYPTED_PERSON_FIELDS]
HEAD_DEFERRED = [f"head__{name}" for name in ENCRYPTED_PERSON_FIELDS]


def with_household_extras(queryset):
    members = HouseholdMember.objects.select_related("person").defer(*PERSON_DEFERRED)
    return (
        queryset.select_related("org", "house", "head")
        .defer(*HEAD_DEFERRED)
        .prefetch_related(Prefetch("members", queryset=members))
    )


def _write(summary: str, description: str, request, *, created: bool = False, response=HouseholdSerializer):
    return extend_schema(
        summary=summary,
        description=description,
        request=request,
        parameters=[ID_PATH],
        responses={201 if created else 200: response, **WRITE_ERRORS},
    )


@extend_schema_view(
    list=extend_schema(
        summary="户列表",
        description="您管辖范围内的户，含成员及与户主关系（GB/T 4761）。",
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, description="户号前缀"),
            search_parameter(),
            ORG_PARAMETER,
            OpenApiParameter(
                "dissolved", OpenApiTypes.BOOL, description="true 只列已销户的户，false 只列现存的户"
            ),
        ],
        responses={200: HouseholdSerializer(many=True), **LIST_ERRORS},
    ),
    retrieve=extend_schema(
        summary="户详情", parameters=[ID_PATH], responses={200: HouseholdSerializer, **READ_ERRORS}
    ),
    create=extend_schema(
        summary="立户",
        description="由 `household_create` 办理：户主与成员须是本社区现居住、尚未入户的居民。",
        request=HouseholdCreateSerializer,
        responses={201: HouseholdSerializer, **WRITE_ERRORS},
    ),
    update=extend_schema(
        summary="修改户信息",
        description="由 `household_update` 办理，只改户籍地址、户别和实际居住房屋；未提供的字段保持原值。",
        parameters=[ID_PATH],
        responses={200: HouseholdSerializer, **EDIT_ERRORS},
    ),
    partial_update=extend_schema(
        summary="修改户信息（部分）",
        description="只改请求中提供的字段。",
        parameters=[ID_PATH],
        responses={200: HouseholdSerializer, **EDIT_ERRORS},
    ),
)
@extend_schema(tags=["registry-households"])
class HouseholdViewSet(ServiceWriteMixin, RegistryViewSet):
    """户。"""

    model = Household
    queryset = Household.objects.all()
    serializer_class = HouseholdSerializer
    action_permissions = {
        "add_member": "change",
        "remove_member": "change",
        "change_head": "change",
        "split": "change",
        "merge": "change",
        "birth": "change",
    }

    def get_serializer_class(self):
        return HouseholdCreateSerializer if self.action == "create" else HouseholdSerializer

    def with_extras(self, queryset):
        return with_household_extras(queryset)

    def filter_list(self, queryset):
        params = QueryParams(self.request, self.required_permission())
        number = params.search()
        org = params.org()
        dissolved = params.boolean("dissolved")
        params.check()
        if number:
            queryset = queryset.filter(number__startswith=number)
        if org is not None:
            queryset = queryset.filter(org__path__startswith=org.path)
        if dissolved is not None:
            queryset = queryset.filter(dissolved_on__isnull=not dissolved)
        return queryset

    def service_create(self, validated):
        if validated.get("org") is None and validated.get("house") is not None:
            # the service compares the house's community with the org's and needs an org to do so
            raise ValidationFailed(community_errors(None))
        return services.household_create(
            actor=self.request.user,
            org=validated["org"],
            number=validated.get("number", ""),
            registered_address=validated.get("registered_address", ""),
            head=validated["head"],
            kind=validated.get("kind", HouseholdKind.FAMILY),
            house=validated.get("house"),
            members=[(member["person"], member["relation"]) for member in validated.get("members", [])],
        )

    def service_update(self, household, validated):
        # only the fields sent: one filled in from the copy loaded here would write back a value another
        # clerk changed between this load and the service's lock
        sent = {k: validated[k] for k in ("registered_address", "kind", "house") if k in validated}
        return services.household_update(
            actor=self.request.user,
            household=household,
            seen_updated_at=validated.get("updated_at"),
            **sent,
        )

    @_write("入户", "由 `household_add_member` 办理；户主请通过 change-head 变更。", AddMemberSerializer)
    @action(detail=True, methods=["post"], url_path="add-member")
    def add_member(self, request, pk=None):
        household = self.get_object()
        validated = self.parse(AddMemberSerializer)
        services.household_add_member(
            actor=request.user,
            household=household,
            person=validated["person"],
            relation=validated["relation"],
        )
        return self.respond(self.read_back(household.pk))

    @_write("出户", "由 `household_remove_member` 办理；不能移出户主。", RemoveMemberSerializer)
    @action(detail=True, methods=["post"], url_path="remove-member")
    def remove_member(self, request, pk=None):
        household = self.get_object()
        validated = self.parse(RemoveMemberSerializer)
        services.household_remove_member(actor=request.user, household=household, person=validated["person"])
        return self.respond(self.read_back(household.pk))

    @_write(
        "变更户主",
        "由 `household_change_head` 办理：新户主须是本户成员；原户主取 old_head_relation，"
        "其他成员可在 relations 中改填与新户主的关系。",
        ChangeHeadSerializer,
    )
    @action(detail=True, methods=["post"], url_path="change-head")
    def change_head(self, request, pk=None):
        household = self.get_object()
        validated = self.parse(ChangeHeadSerializer)
        services.household_change_head(
            actor=request.user,
            household=household,
            new_head=validated["new_head"],
            old_head_relation=validated["old_head_relation"],
            relations=validated.get("relations") or {},
        )
        return self.respond(self.read_back(household.pk))

    @_write(
        "分户",
        "由 `household_split` 办理：new_head 与 persons 从本户分出，组成同一社区的新户；返回新户。",
        SplitSerializer,
        created=True,
    )
    @action(detail=True, methods=["post"])
    def split(self, request, pk=None):
        household = self.get_object()
        validated = self.parse(SplitSerializer)
        new = services.household_split(
            actor=request.user,
            household=household,
            persons=validated.get("persons", []),
            new_number=validated.get("new_number", ""),
            new_head=validated["new_head"],
            relations=validated.get("relations") or {},
            registered_address=validated.get("registered_address", ""),
            house=validated.get("house"),
        )
        return self.respond(self.read_back(new.pk), created=True)

    @_write(
        "并户",
        "由 `household_merge` 办理：本户全部成员并入 target 户（同一社区），本户销户；返回 target 户。",
        MergeSerializer,
    )
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        household = self.get_object()
        validated = self.parse(MergeSerializer)
        target = services.household_merge(
            actor=request.user,
            source=household,
            target=validated["target"],
            relations=validated.get("relations") or {},
        )
        return self.respond(self.read_back(target.pk))

    @_write(
        "出生登记",
        "由 `person_register_birth` 办理：登记新生儿并入本户；org 不填则为本户所属社区。返回新登记的人员。",
        BirthSerializer,
        created=True,
        response=PersonSerializer,
    )
    @action(detail=True, methods=["post"])
    def birth(self, request, pk=None):
        household = self.get_object()
        validated = self.parse(BirthSerializer)
        data = overlay(services.PersonData, validated, base=PERSON_BASE)
        person = services.person_register_birth(
            actor=request.user, household=household, data=data, relation=validated["relation"]
        )
        person = self.read_back(person.pk, model=Person, extras=with_person_extras)
        return self.respond(person, PersonSerializer, created=True)
