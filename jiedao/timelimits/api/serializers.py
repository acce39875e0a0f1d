from rest_framework import serializers

from jiedao.timelimits.models import Clock
from jiedao.timelimits.registry import kind_label


class ClockSerializer(serializers.ModelSerializer):
    kind_label = serializers.SerializerMethodField()
    target_type = serializers.SerializerMethodField()
    org_name = serializers.CharField(source="org.name", read_only=True)
    rule_display = serializers.CharField(source="get_rule_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Clock
        fields = [
            "id",
            "kind",
            "kind_label",
            "target_type",
            "object_id",
            "org",
            "org_name",
            "rule",
            "rule_display",
            "limit",
            "extended_units",
            "yellow_ratio",
            "started_at",
            "yellow_at",
            "due_at",
            "due_provisional",
            "paused_at",
            "stopped_at",
            "overdue_at_stop",
            "status",
            "status_display",
        ]
        read_only_fields = fields

    def get_kind_label(self, clock: Clock) -> str:
        return kind_label(clock.kind)

    def get_target_type(self, clock: Clock) -> str:
        """The target's model as "app_label.model"."""
        return f"{clock.content_type.app_label}.{clock.content_type.model}"
