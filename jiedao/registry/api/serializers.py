"""Registry API serializers.

Reading: personal numbers only as masked copies (`id_number_masked`, `phone_masked`, and masked permit
numbers, enterprise phones and evidence numbers); the full values come from `POST /persons/{id}/reveal/`.
Writing: the serializers parse a request into the services' dataclasses (`PersonData`, `HouseData` …);
the services validate and return every error at once.

Fields with generic names (`status`, `kind`) are documented as strings with their values listed rather than
as OpenAPI enums, so they never collide with other apps' enums of the same name.
"""

from __future__ import annotations

import dataclasses
import json

from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from jiedao.core import crypto
from jiedao.dictionaries import selectors as dictionaries
from jiedao.orgs.models import OrgUnit
from jiedao.registry.api.fields import InputSerializer, ScopedPrimaryKeyField, text
from jiedao.registry.choices import (
    CoordinateSystem,
    EnterpriseStatus,
    HouseholdKind,
    HouseRelation,
    HouseUse,
    IdKind,
    LifeEventKind,
    Ownership,
    PersonStatus,
    VisitResult,
)
from jiedao.registry.models import (
    Building,
    Enterprise,
    House,
    Household,
    HouseholdMember,
    HouseVisit,
    LifeEvent,
    Migrant,
    Person,
    SpecialGroupTag,
)
from jiedao.registry.services.houses import MAX_BUILDING_FLOORS


def _values_help(choices) -> str:
    return "；".join(f"{value} {label}" for value, label in choices.choices)


def write_permission(model_name: str):
    """`registry.add_<model>` when creating, `registry.change_<model>` when updating an instance."""

    def permission(root) -> str:
        return f"registry.{'change' if root.instance is not None else 'add'}_{model_name}"

    return permission


def overlay(data_class, validated: dict, *, instance=None, base: dict | None = None, skip=()):
    """A service dataclass from the defaults (`base`), then the instance's current values, then the input."""
    names = [f.name for f in dataclasses.fields(data_class)]
    values = dict(base or {})
    if instance is not None:
        values.update({name: getattr(instance, name) for name in names if name not in skip})
    values.update({key: value for key, value in validated.items() if key in names})
    return data_class(**values)


def _coordinate_fields():
    return {
        "latitude": serializers.DecimalField(
            max_digits=9, decimal_places=6, required=False, allow_null=True, label="纬度"
        ),
        "longitude": serializers.DecimalField(
            max_digits=9, decimal_places=6, required=False, allow_null=True, label="经度"
        ),
        "coordinate_system": serializers.ChoiceField(
            choices=CoordinateSystem.choices, required=False, label="坐标系"
        ),
    }


# --- special groups, life events ----------------------------------------------------------------------


def version_field(what: str = "修改（PUT/PATCH）时") -> serializers.DateTimeField:
    """`updated_at`, read, and optionally sent back: the service refuses (409) when the record changed since."""
    return serializers.DateTimeField(
        required=False,
        help_text=f"最后修改时间。{what}可原样回传读取时的值：其间已被他人修改则不保存，"
        "返回 409（code conflict），请重新读取后再改；不传则不作此检查。",
    )


class SpecialGroupTagSerializer(serializers.ModelSerializer):
    group_label = serializers.SerializerMethodField()
    evidence = serializers.SerializerMethodField(help_text="依据；其中的证件号码、电话号码已打码")
    details = serializers.SerializerMethodField(help_text="详情（如残疾类别与等级）；号码已打码")
    has_evidence_file = serializers.SerializerMethodField(
        help_text="是否上传了证明材料；下载见 GET /persons/{id}/tags/{tag_id}/evidence/"
    )

    class Meta:
        model = SpecialGroupTag
        fields = [
            "id",
            "group",
            "group_label",
            "valid_from",
            "valid_until",
            "evidence",
            "details",
            "has_evidence_file",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_group_label(self, tag) -> str:
        return dictionaries.label("special_group", tag.group)

    def get_has_evidence_file(self, tag) -> bool:
        return bool(tag.evidence_file)

    def get_evidence(self, tag) -> str:
        return crypto.mask_numbers(tag.evidence)

    @extend_schema_field({"type": "object", "additionalProperties": {}})
    def get_details(self, tag):
        return crypto.mask_numbers(tag.details or {})


class TagAddSerializer(InputSerializer):
    group = serializers.CharField(
        max_length=30, label="人群类别", help_text="字典 special_group 的代码，如 dibao"
    )
    valid_from = serializers.DateField(label="起始日期")
    valid_until = serializers.DateField(required=False, allow_null=True, label="截止日期")
    evidence = text(SpecialGroupTag, "evidence")
    details = serializers.JSONField(
        required=False,
        label="详情",
        help_text="残疾人标记的残疾类别（字典 disability_type）与等级（字典 disability_grade，1–4 即一级至四级），"
        '如 {"type": "4", "grade": "2"}；multipart 请求中为 JSON 文本',
    )
    evidence_file = serializers.FileField(
        required=False,
        allow_null=True,
        label="证明材料",
        help_text="PDF 或照片（JPEG、PNG、WebP、HEIC、AVIF，按内容识别；照片按拍摄方向转正、去除 EXIF 等元数据后保存为 JPEG 或 PNG），大小上限同办事材料；上传时请用 multipart/form-data",
    )

    def validate_details(self, value):
        if isinstance(value, str):  # a multipart request carries the JSON as text
            try:
                value = json.loads(value) if value.strip() else {}
            except ValueError:
                raise serializers.ValidationError(_("详情应为一个 JSON 对象。")) from None
        if not isinstance(value, dict):
            raise serializers.ValidationError(_("详情应为一个 JSON 对象。"))
        return value


class TagRenewSerializer(InputSerializer):
    valid_until = serializers.DateField(
        required=False, allow_null=True, label="续期至", help_text="新一期的截止日期；不填表示长期有效"
    )
    evidence = text(SpecialGroupTag, "evidence")
    evidence_file = serializers.FileField(
        required=False,
        allow_null=True,
        label="证明材料",
        help_text="新一期的证明材料，要求同标记特殊人群；上传时请用 multipart/form-data",
    )
    updated_at = version_field("续期时")


class TagEndSerializer(InputSerializer):
    valid_until = serializers.DateField(label="截止日期")
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200, label="解除原因")
    updated_at = version_field("解除时")


class LifeEventSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True, help_text=_values_help(LifeEventKind))
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    actor_name = serializers.CharField(source="actor.full_name", read_only=True, allow_null=True)
    summary = serializers.SerializerMethodField(
        help_text="摘要（登记时写入的原文）；其中的证件号码、电话号码已打码"
    )
    summary_display = serializers.SerializerMethodField(
        help_text="摘要，系统生成的文字按请求的语言（Accept-Language）显示，经办人填写的原样显示；号码已打码"
    )
    details = serializers.SerializerMethodField(help_text="详情；号码已打码")

    class Meta:
        model = LifeEvent
        fields = [
            "id",
            "kind",
            "kind_display",
            "occurred_on",
            "summary",
            "summary_display",
            "details",
            "actor",
            "actor_name",
            "created_at",
        ]
        read_only_fields = fields

    def get_summary(self, event) -> str:
        return crypto.mask_numbers(event.summary)

    def get_summary_display(self, event) -> str:
        return crypto.mask_numbers(event.summary_text)

    @extend_schema_field({"type": "object", "additionalProperties": {}})
    def get_details(self, event):
        return crypto.mask_numbers(event.details or {})


# --- persons ------------------------------------------------------------------------------------------


class HouseholdRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField(label="户号")
    relation = serializers.CharField(label="与户主关系")
    relation_label = serializers.CharField()
    is_head = serializers.BooleanField()


class PersonInputSerializer(InputSerializer):
    """The fields of `PersonData`; the service derives gender and birth date from the ID number."""

    name = text(Person, "name", help_text="必填")
    id_number = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=40,
        write_only=True,
        label="证件号码",
        help_text="18 位公民身份号码（或 15 位旧号码），创建时必填。只写：列表与详情只返回 id_number_masked。"
        "修改时不提供则保持原值。",
    )
    org = ScopedPrimaryKeyField(
        model=OrgUnit,
        permission=write_permission("person"),
        required=False,
        allow_null=True,
        label="所属社区/网格",
        help_text="组织节点编号（社区或网格），须在您的管辖范围内，否则返回 404。创建时必填。",
    )
    gender = text(Person, "gender", help_text="1 男；2 女。可不填，由证件号码推算；填写则须与号码一致。")
    birth_date = serializers.DateField(
        required=False,
        allow_null=True,
        label="出生日期",
        help_text="可不填，由证件号码推算；填写则须与号码一致。",
    )
    ethnicity = text(Person, "ethnicity", help_text="民族代码（字典 ethnicity），如 01 汉族")
    phone = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=30,
        write_only=True,
        label="联系电话",
        help_text="手机号码或带区号的固定电话。只写：列表与详情只返回 phone_masked。修改时不提供则保持原值，"
        "传空字符串则清除。",
    )
    other_phones = serializers.ListField(
        child=serializers.CharField(max_length=30),
        required=False,
        max_length=5,
        write_only=True,
        label="其他联系电话",
        help_text="联系电话以外的号码，至多 5 个。只写：详情只返回 other_phones_masked。修改时不提供则保持原值，"
        "传空列表则清除。",
    )
    education = text(Person, "education", help_text="文化程度代码（字典 education）")
    political_status = text(Person, "political_status", help_text="政治面貌代码（字典 political_status）")
    marital_status = text(Person, "marital_status", help_text="婚姻状况代码（字典 marital_status）")
    employment = text(Person, "employment")
    house = ScopedPrimaryKeyField(
        model=House,
        permission="registry.view_house",
        required=False,
        allow_null=True,
        label="居住房屋",
        help_text="房屋编号；填写后现住址取房屋地址。",
    )
    house_relation = serializers.ChoiceField(
        choices=HouseRelation.choices, required=False, label="与房屋关系"
    )
    residence_address = text(Person, "residence_address", help_text="未选择房屋时的现住址")
    hukou_address = text(Person, "hukou_address")
    note = text(Person, "note")

    def validate_other_phones(self, value) -> str:
        return "、".join(value)


class PersonSerializer(PersonInputSerializer):
    """A person as listed and shown: never the full ID number or phone."""

    id = serializers.IntegerField(read_only=True)
    id_kind = serializers.ChoiceField(choices=IdKind.choices, read_only=True, label="证件类型")
    id_number_masked = serializers.CharField(read_only=True, label="证件号码（打码）")
    phone_masked = serializers.CharField(read_only=True, label="联系电话（打码）")
    other_phones_masked = serializers.CharField(
        read_only=True, label="其他联系电话（打码）", help_text="以顿号分隔；没有时为空字符串"
    )
    has_photo = serializers.SerializerMethodField(help_text="是否有照片；照片见 GET /persons/{id}/photo/")
    gender_display = serializers.SerializerMethodField()
    age = serializers.SerializerMethodField(help_text="今天的周岁年龄")
    ethnicity_label = serializers.SerializerMethodField()
    education_label = serializers.SerializerMethodField()
    political_status_label = serializers.SerializerMethodField()
    marital_status_label = serializers.SerializerMethodField()
    org_name = serializers.CharField(source="org.name", read_only=True)
    status = serializers.CharField(read_only=True, label="人员状态", help_text=_values_help(PersonStatus))
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    status_date = serializers.DateField(read_only=True, label="状态日期")
    merged_into = serializers.IntegerField(
        source="merged_into_id",
        read_only=True,
        allow_null=True,
        label="已合并至",
        help_text="已合并（merged）的重复记录所合并到的人员编号（GET /persons/{id}/）；其他为 null",
    )
    household = serializers.SerializerMethodField(help_text="所在的户；未入户为 null")
    tags = serializers.SerializerMethodField(help_text="今天有效的特殊人群标记")
    is_migrant = serializers.SerializerMethodField(help_text="是否登记为流动人口")
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(
        required=False,
        help_text="最后修改时间。修改（PUT/PATCH）时可原样回传读取时的值：其间已被他人修改则不保存，"
        "返回 409（code conflict），请重新读取后再改；不传则不作此检查。",
    )

    def get_has_photo(self, person) -> bool:
        return bool(person.photo)

    def get_gender_display(self, person) -> str:
        return {"1": _("男"), "2": _("女")}.get(person.gender, "")

    def get_age(self, person) -> int:
        return person.age_on(timezone.localdate())

    def get_ethnicity_label(self, person) -> str:
        return dictionaries.label("ethnicity", person.ethnicity)

    def get_education_label(self, person) -> str:
        return dictionaries.label("education", person.education)

    def get_political_status_label(self, person) -> str:
        return dictionaries.label("political_status", person.political_status)

    def get_marital_status_label(self, person) -> str:
        return dictionaries.label("marital_status", person.marital_status)

    @extend_schema_field(HouseholdRefSerializer(allow_null=True))
    def get_household(self, person):
        try:
            membership = person.membership
        except ObjectDoesNotExist:
            return None
        household = membership.household
        return {
            "id": household.pk,
            "number": household.number,
            "relation": membership.relation,
            "relation_label": dictionaries.label("relation", membership.relation),
            "is_head": household.head_id == person.pk,
        }

    @extend_schema_field(SpecialGroupTagSerializer(many=True))
    def get_tags(self, person):
        tags = getattr(person, "active_tags", None)
        if tags is None:
            tags = person.tags.filter(SpecialGroupTag.valid_on(timezone.localdate()))
        return SpecialGroupTagSerializer(tags, many=True).data

    def get_is_migrant(self, person) -> bool:
        if hasattr(person, "has_migrant"):
            return bool(person.has_migrant)
        return Migrant.objects.filter(person=person).exists()


class PersonBriefSerializer(serializers.ModelSerializer):
    """A person inside another record (migrant, household member): masked numbers only."""

    org_name = serializers.CharField(source="org.name", read_only=True)
    status = serializers.CharField(read_only=True, help_text=_values_help(PersonStatus))
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Person
        fields = [
            "id",
            "name",
            "id_number_masked",
            "phone_masked",
            "gender",
            "birth_date",
            "status",
            "status_display",
            "residence_address",
            "org",
            "org_name",
        ]
        read_only_fields = fields


class RevealSerializer(serializers.Serializer):
    id_number = serializers.CharField(label="完整证件号码")
    phone = serializers.CharField(label="完整联系电话", help_text="未登记电话时为空字符串")
    other_phones = serializers.ListField(child=serializers.CharField(), label="完整的其他联系电话")


class PhotoUploadSerializer(InputSerializer):
    photo = serializers.FileField(
        label="照片",
        help_text="JPEG、PNG、WebP、HEIC 或 AVIF 照片（按内容识别；按拍摄方向转正、去除 EXIF 等元数据后保存为 JPEG 或 PNG），大小上限同办事材料",
    )


class PersonMoveInSerializer(PersonInputSerializer):
    moved_on = serializers.DateField(required=False, label="迁入日期", help_text="不填为今天")
    origin = serializers.CharField(required=False, allow_blank=True, max_length=200, label="迁出地")


class DeathSerializer(InputSerializer):
    died_on = serializers.DateField(label="死亡日期")
    note = serializers.CharField(required=False, allow_blank=True, max_length=300, label="备注")


class MoveOutSerializer(InputSerializer):
    moved_on = serializers.DateField(required=False, label="迁出日期", help_text="不填为今天")
    destination = serializers.CharField(required=False, allow_blank=True, max_length=200, label="迁往地")


class AddressChangeSerializer(InputSerializer):
    house = ScopedPrimaryKeyField(
        model=House,
        permission="registry.view_house",
        required=False,
        allow_null=True,
        label="新居住房屋",
        help_text="同一社区内的房屋编号；不选房屋时填写 residence_address。",
    )
    house_relation = serializers.ChoiceField(
        choices=HouseRelation.choices, required=False, label="与房屋关系", help_text="不填则保持原值"
    )
    residence_address = text(Person, "residence_address")
    changed_on = serializers.DateField(
        required=False, allow_null=True, label="变更日期", help_text="不填为今天"
    )


# --- migrants -----------------------------------------------------------------------------------------


class MigrantSerializer(serializers.ModelSerializer):
    person = PersonBriefSerializer(read_only=True)
    reason_label = serializers.SerializerMethodField()
    permit_number_masked = serializers.SerializerMethodField(help_text="居住证号码（打码）")

    class Meta:
        model = Migrant
        fields = [
            "id",
            "person",
            "origin_region_code",
            "origin_address",
            "arrival_date",
            "reason",
            "reason_label",
            "permit_number_masked",
            "permit_valid_until",
            "employer",
            "landlord",
            "lease_until",
            "planned_departure",
            "permit_reminded_on",
            "updated_at",
        ]
        read_only_fields = fields

    def get_reason_label(self, migrant) -> str:
        return dictionaries.label("migrant_reason", migrant.reason)

    def get_permit_number_masked(self, migrant) -> str:
        return crypto.mask_id_number(migrant.permit_number)


class MigrantRegisterSerializer(InputSerializer):
    """Create or update the migrant record; on update, fields left out keep their values."""

    origin_address = text(Migrant, "origin_address", help_text="新登记时必填")
    arrival_date = serializers.DateField(required=False, label="来本地日期", help_text="新登记时必填")
    origin_region_code = text(Migrant, "origin_region_code", help_text="6 位行政区划代码")
    reason = text(Migrant, "reason", help_text="事由代码（字典 migrant_reason）")
    permit_number = text(Migrant, "permit_number", write_only=True, help_text="只写：读取时只返回打码值")
    permit_valid_until = serializers.DateField(required=False, allow_null=True, label="居住证有效期至")
    employer = text(Migrant, "employer")
    landlord = text(Migrant, "landlord")
    lease_until = serializers.DateField(required=False, allow_null=True, label="租约到期")
    planned_departure = serializers.DateField(required=False, allow_null=True, label="预计离开日期")
    updated_at = version_field("修改已登记的记录时")


# --- households ---------------------------------------------------------------------------------------


class HouseholdMemberSerializer(serializers.ModelSerializer):
    person = serializers.IntegerField(source="person_id", read_only=True)
    name = serializers.CharField(source="person.name", read_only=True)
    id_number_masked = serializers.CharField(source="person.id_number_masked", read_only=True)
    gender = serializers.CharField(source="person.gender", read_only=True)
    birth_date = serializers.DateField(source="person.birth_date", read_only=True)
    relation_label = serializers.SerializerMethodField()
    is_head = serializers.SerializerMethodField()

    class Meta:
        model = HouseholdMember
        fields = [
            "person",
            "name",
            "id_number_masked",
            "gender",
            "birth_date",
            "relation",
            "relation_label",
            "is_head",
            "joined_on",
        ]
        read_only_fields = fields

    def get_relation_label(self, member) -> str:
        return dictionaries.label("relation", member.relation)

    def get_is_head(self, member) -> bool:
        return member.household.head_id == member.person_id


def _check_household_kind(value: str) -> str:
    if value not in HouseholdKind.values:
        raise serializers.ValidationError(_("户别不正确。"))
    return value


class HouseholdSerializer(InputSerializer):
    """A household with its members. Updating (PUT/PATCH) changes the address, kind and house only;
    members, head, split and merge have their own actions."""

    id = serializers.IntegerField(read_only=True)
    number = serializers.CharField(read_only=True, label="户号")
    kind = serializers.CharField(required=False, label="户别", help_text=_values_help(HouseholdKind))
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    head = serializers.IntegerField(source="head_id", read_only=True, allow_null=True, label="户主")
    head_name = serializers.CharField(source="head.name", read_only=True, allow_null=True)
    registered_address = text(Household, "registered_address")
    house = ScopedPrimaryKeyField(
        model=House, permission="registry.view_house", required=False, allow_null=True, label="实际居住房屋"
    )
    house_address = serializers.CharField(source="house.full_address", read_only=True, allow_null=True)
    org = serializers.IntegerField(source="org_id", read_only=True, label="所属组织")
    org_name = serializers.CharField(source="org.name", read_only=True)
    dissolved_on = serializers.DateField(read_only=True, label="销户日期")
    members = HouseholdMemberSerializer(many=True, read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = version_field()

    def validate_kind(self, value):
        return _check_household_kind(value)


class MemberInputSerializer(InputSerializer):
    person = ScopedPrimaryKeyField(model=Person, permission="registry.view_person", label="人员")
    relation = serializers.CharField(
        max_length=4, label="与户主关系", help_text="GB/T 4761 代码（字典 relation），如 10 配偶"
    )


class RelationsField(serializers.DictField):
    """`{"人员编号": "关系代码"}` with the keys read as person ids."""

    def __init__(self, **kwargs):
        kwargs.setdefault("child", serializers.CharField(max_length=4))
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        parsed = super().to_internal_value(data)
        result = {}
        for key, value in parsed.items():
            if not str(key).isdigit():
                raise serializers.ValidationError(_("“%(key)s”不是人员编号。") % {"key": str(key)[:20]})
            result[int(key)] = value
        return result


class HouseholdCreateSerializer(InputSerializer):
    org = ScopedPrimaryKeyField(
        model=OrgUnit,
        permission="registry.add_household",
        required=False,
        allow_null=True,
        label="所属社区/网格",
    )
    number = text(Household, "number", help_text="必填，全局唯一")
    kind = serializers.CharField(required=False, label="户别", help_text=_values_help(HouseholdKind))
    registered_address = text(Household, "registered_address", help_text="必填")
    head = ScopedPrimaryKeyField(model=Person, permission="registry.view_person", label="户主")
    house = ScopedPrimaryKeyField(
        model=House, permission="registry.view_house", required=False, allow_null=True, label="实际居住房屋"
    )
    members = MemberInputSerializer(many=True, required=False, help_text="户主以外的成员及与户主关系")

    def validate_kind(self, value):
        return _check_household_kind(value)


class AddMemberSerializer(InputSerializer):
    person = ScopedPrimaryKeyField(model=Person, permission="registry.view_person", label="人员")
    relation = serializers.CharField(
        max_length=4, label="与户主关系", help_text="GB/T 4761 代码（字典 relation）"
    )


class RemoveMemberSerializer(InputSerializer):
    person = ScopedPrimaryKeyField(model=Person, permission="registry.view_person", label="人员")


class ChangeHeadSerializer(InputSerializer):
    new_head = ScopedPrimaryKeyField(model=Person, permission="registry.view_person", label="新户主")
    old_head_relation = serializers.CharField(max_length=4, label="原户主与新户主关系")
    relations = RelationsField(
        label="其他成员与新户主关系", help_text='{"人员编号": "关系代码"}，可只填需要改的'
    )


class SplitSerializer(InputSerializer):
    persons = serializers.ListField(
        child=ScopedPrimaryKeyField(model=Person, permission="registry.view_person"),
        required=False,
        label="分出的成员",
        help_text="除新户主外随同分出的成员编号",
    )
    new_number = text(Household, "number", label="新户号")
    new_head = ScopedPrimaryKeyField(model=Person, permission="registry.view_person", label="新户主")
    relations = RelationsField(label="分出成员与新户主关系", help_text='{"人员编号": "关系代码"}')
    registered_address = text(Household, "registered_address", help_text="不填沿用原户的户籍地址")
    house = ScopedPrimaryKeyField(
        model=House, permission="registry.view_house", required=False, allow_null=True, label="实际居住房屋"
    )


class MergeSerializer(InputSerializer):
    target = ScopedPrimaryKeyField(model=Household, permission="registry.view_household", label="并入的户")
    relations = RelationsField(
        label="本户各成员与对方户主关系", help_text='{"人员编号": "关系代码"}，每位成员必填'
    )


class BirthSerializer(PersonInputSerializer):
    relation = serializers.CharField(
        max_length=4, label="与户主关系", help_text="GB/T 4761 代码，如 20 子、30 女"
    )


# --- buildings, houses, enterprises ---------------------------------------------------------------------


class BuildingSerializer(InputSerializer):
    id = serializers.IntegerField(read_only=True)
    org = ScopedPrimaryKeyField(
        model=OrgUnit,
        permission=write_permission("building"),
        required=False,
        allow_null=True,
        label="所属社区/网格",
    )
    org_name = serializers.CharField(source="org.name", read_only=True)
    street_address = text(Building, "street_address")
    name = text(Building, "name")
    floors = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=MAX_BUILDING_FLOORS, label="层数"
    )
    latitude, longitude, coordinate_system = _coordinate_fields().values()
    house_count = serializers.IntegerField(read_only=True, label="房屋数")
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


class HouseSerializer(InputSerializer):
    id = serializers.IntegerField(read_only=True)
    building = ScopedPrimaryKeyField(
        model=Building, permission=write_permission("house"), required=False, allow_null=True, label="楼栋"
    )
    building_name = serializers.CharField(source="building.__str__", read_only=True)
    unit = text(House, "unit")
    room = text(House, "room")
    full_address = serializers.CharField(read_only=True, label="地址")
    use = serializers.ChoiceField(choices=HouseUse.choices, required=False, label="用途")
    ownership = serializers.ChoiceField(choices=Ownership.choices, required=False, label="产权性质")
    owner_name = text(House, "owner_name")
    area = serializers.DecimalField(
        max_digits=9, decimal_places=2, required=False, allow_null=True, label="建筑面积（㎡）"
    )
    is_rented = serializers.BooleanField(required=False, label="出租")
    latitude, longitude, coordinate_system = _coordinate_fields().values()
    org = serializers.IntegerField(source="org_id", read_only=True, label="所属组织", help_text="取自楼栋")
    org_name = serializers.CharField(source="org.name", read_only=True)
    resident_count = serializers.IntegerField(read_only=True, label="现居住人数")
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


class EnterpriseSerializer(InputSerializer):
    id = serializers.IntegerField(read_only=True)
    name = text(Enterprise, "name")
    uscc = text(Enterprise, "uscc", help_text="18 位统一社会信用代码（GB 32100），不含 I、O、Z、S、V")
    legal_representative = text(Enterprise, "legal_representative")
    industry = text(Enterprise, "industry")
    address = text(Enterprise, "address")
    house = ScopedPrimaryKeyField(
        model=House, permission="registry.view_house", required=False, allow_null=True, label="所在房屋"
    )
    house_address = serializers.CharField(source="house.full_address", read_only=True, allow_null=True)
    employees = serializers.IntegerField(required=False, allow_null=True, min_value=0, label="从业人数")
    established_on = serializers.DateField(required=False, allow_null=True, label="成立日期")
    status = serializers.CharField(required=False, label="经营状态", help_text=_values_help(EnterpriseStatus))
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    contact_phone = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=30,
        write_only=True,
        label="联系电话",
        help_text="只写：读取时只返回 contact_phone_masked。修改时不提供则保持原值。",
    )
    contact_phone_masked = serializers.SerializerMethodField()
    latitude, longitude, coordinate_system = _coordinate_fields().values()
    org = ScopedPrimaryKeyField(
        model=OrgUnit,
        permission=write_permission("enterprise"),
        required=False,
        allow_null=True,
        label="所属社区/网格",
    )
    org_name = serializers.CharField(source="org.name", read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def get_contact_phone_masked(self, enterprise) -> str:
        return crypto.mask_phone(enterprise.contact_phone)


# --- house visits (入户走访核查) ----------------------------------------------------------------------------


class HouseVisitSerializer(InputSerializer):
    id = serializers.IntegerField(read_only=True)
    house = ScopedPrimaryKeyField(
        model=House,
        permission="registry.add_housevisit",
        label="房屋",
        help_text="房屋编号（须在您的管辖范围内）",
    )
    house_address = serializers.CharField(source="house.full_address", read_only=True)
    visited_on = serializers.DateField(
        required=False, allow_null=True, label="核查日期", help_text="不能晚于今天，也不能早于 5 年前"
    )
    result = serializers.CharField(max_length=12, label="核查结果", help_text=_values_help(VisitResult))
    result_display = serializers.CharField(source="get_result_display", read_only=True)
    companion = text(HouseVisit, "companion")
    note = text(HouseVisit, "note", help_text="核查结果为 corrected（信息有变更）时必填：写明更正了哪些信息")
    visited_by = serializers.IntegerField(
        source="visited_by_id", read_only=True, allow_null=True, label="核查人", help_text="登记的用户"
    )
    visited_by_name = serializers.CharField(source="visited_by.full_name", read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)
