from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from jiedao.catalog.choices import DeliveryMethod, LifeEvent
from jiedao.catalog.models import Material, ServiceItem
from jiedao.catalog.services import ITEM_FIELDS, REQUIRED_ITEM_FIELDS
from jiedao.orgs.models import OrgUnit


class HallErrorSerializer(serializers.Serializer):
    """The project's error body: a stable code, a Chinese message, and field errors when there are any."""

    code = serializers.CharField(help_text=_("错误代码，如 invalid、not_found、rate_limited"))
    detail = serializers.CharField(help_text=_("中文错误说明"))
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text=_("各字段的错误"),
    )


class MaterialSerializer(serializers.ModelSerializer):
    form_display = serializers.CharField(source="get_form_display", read_only=True)
    blank_form_url = serializers.SerializerMethodField()
    sample_url = serializers.SerializerMethodField()

    class Meta:
        model = Material
        fields = [
            "id",
            "name",
            "form",
            "form_display",
            "copies",
            "required",
            "tolerable",
            "note",
            "sort_order",
            "blank_form_url",
            "sample_url",
        ]
        read_only_fields = fields

    def _url(self, material: Material, kind: str, field_name: str) -> str | None:
        from django.urls import reverse

        if not getattr(material, field_name):
            return None
        return reverse("public:material_file", args=[material.pk, kind])

    def get_blank_form_url(self, material: Material) -> str | None:
        """Download address of the blank form (空白表格), if any."""
        return self._url(material, "blank", "blank_form")

    def get_sample_url(self, material: Material) -> str | None:
        """Download address of the filled-in sample (示例样表), if any."""
        return self._url(material, "sample", "sample")


# What a new item must be given: the guide's required fields, less those the service defaults (办件类型 承诺件,
# 收费标准 不收费), and the two time limits.
API_REQUIRED_FIELDS = [
    *(name for name in REQUIRED_ITEM_FIELDS if name not in ("kind", "fee")),
    "statutory_limit_days",
    "promised_limit_days",
]


class ServiceItemSerializer(serializers.ModelSerializer):
    """A service item with its whole guide. Writes go through the catalog services, which validate."""

    org = serializers.PrimaryKeyRelatedField(
        queryset=OrgUnit.objects.all(), help_text="实施主体（组织节点编号）"
    )
    org_name = serializers.CharField(source="org.name", read_only=True)
    life_events = serializers.ListField(
        child=serializers.ChoiceField(choices=LifeEvent.choices), required=False, help_text="人生事件"
    )
    delivery_methods = serializers.ListField(
        child=serializers.ChoiceField(choices=DeliveryMethod.choices),
        required=False,
        help_text="送达方式：window 窗口领取、mail 邮寄送达；只出具电子结果的事项为空",
    )
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    power_type_display = serializers.CharField(source="get_power_type_display", read_only=True)
    audience_display = serializers.CharField(source="get_audience_display", read_only=True)
    availability_display = serializers.CharField(source="get_availability_display", read_only=True)
    materials = MaterialSerializer(many=True, read_only=True)

    class Meta:
        model = ServiceItem
        fields = [
            "id",
            "org",
            "org_name",
            *ITEM_FIELDS,
            "kind_display",
            "power_type_display",
            "audience_display",
            "availability_display",
            "is_published",
            "materials",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "is_published", "created_at", "updated_at"]
        # The service checks required fields, limits and the unique code, with Chinese messages.
        extra_kwargs = {
            name: {"required": False, "validators": []}
            for name in ITEM_FIELDS
            if name not in ("life_events", "delivery_methods")
        }
        validators: list = []

    def get_fields(self):
        """The guide fields every item must have are required (so the schema says so), with the service's
        message when one is missing; a blank one reaches the service, which says the same."""
        fields = super().get_fields()
        for name in API_REQUIRED_FIELDS:
            field = fields[name]
            field.required = True
            field.error_messages["required"] = gettext("请填写%(field)s。") % {"field": field.label}
            if isinstance(field, serializers.CharField):
                field.allow_blank = True
        return fields


class PublicServiceItemSerializer(serializers.ModelSerializer):
    """What the public may read of a published item: the guide, without internal fields."""

    org_name = serializers.CharField(source="org.name", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    power_type_display = serializers.CharField(source="get_power_type_display", read_only=True)
    audience_display = serializers.CharField(source="get_audience_display", read_only=True)
    availability_display = serializers.CharField(source="get_availability_display", read_only=True)
    life_events = serializers.ListField(child=serializers.CharField(), read_only=True)
    delivery_methods = serializers.ListField(child=serializers.CharField(), read_only=True)
    apply_url = serializers.SerializerMethodField()
    materials = MaterialSerializer(many=True, read_only=True)

    class Meta:
        model = ServiceItem
        fields = [
            "code",
            "name",
            "org_name",
            "kind",
            "kind_display",
            "power_type",
            "power_type_display",
            "audience",
            "audience_display",
            "life_events",
            "department",
            "legal_basis",
            "conditions",
            "steps",
            "statutory_limit_days",
            "promised_limit_days",
            "fee",
            "fee_basis",
            "window_address",
            "office_hours",
            "consultation_phone",
            "complaint_phone",
            "delivery_methods",
            "availability",
            "availability_display",
            "publishes_result",
            "apply_url",
            "materials",
        ]
        read_only_fields = fields

    def get_apply_url(self, item: ServiceItem) -> str | None:
        """Online application address; null for items handled only at the window."""
        return item.apply_url if item.is_online else None
