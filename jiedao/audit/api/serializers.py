from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from jiedao.audit.models import AuditEvent
from jiedao.audit.registry import label_for


class AuditEventSerializer(serializers.ModelSerializer):
    event_label = serializers.SerializerMethodField(label=_("事件类型名称"))
    org_name = serializers.CharField(
        source="org.name", read_only=True, allow_null=True, default=None, label=_("组织名称")
    )

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "created_at",
            "event_code",
            "event_name",
            "event_label",
            "actor",
            "actor_name",
            "ip",
            "user_agent",
            "request_id",
            "org",
            "org_name",
            "target_type",
            "target_id",
            "target_repr",
            "success",
            "message",
            "before",
            "after",
            "prev_hash",
            "hash",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField())
    def get_event_label(self, event: AuditEvent) -> str:
        return label_for(event.event_name)
