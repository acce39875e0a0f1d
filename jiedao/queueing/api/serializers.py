"""Output and input of the window terminal's API (/api/v1/queue/)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from jiedao.applications.models import ServiceWindow
from jiedao.queueing.models import QueueLine, Ticket


class QueueTicketSerializer(serializers.ModelSerializer):
    line_name = serializers.CharField(source="line.name", read_only=True, help_text=_("业务队列名称"))
    status_display = serializers.CharField(source="get_status_display", read_only=True, help_text=_("状态"))
    called_window_number = serializers.CharField(
        source="called_window.number", read_only=True, default=None, help_text=_("叫号窗口的窗口号")
    )

    class Meta:
        model = Ticket
        fields = [
            "id",
            "code",
            "line",
            "line_name",
            "date",
            "status",
            "status_display",
            "priority",
            "taken_at",
            "called_at",
            "called_window",
            "called_window_number",
            "recall_count",
            "finished_at",
        ]
        read_only_fields = fields


class QueueLineSerializer(serializers.ModelSerializer):
    hall_name = serializers.CharField(source="org.name", read_only=True, help_text=_("服务大厅"))
    waiting = serializers.IntegerField(read_only=True, help_text=_("今天等候中的人数"))
    items = serializers.PrimaryKeyRelatedField(
        many=True,
        read_only=True,
        help_text=_("本队列办理的事项 id；凭预约码取号时，取到办理所预约事项的队列的号。为空则不限事项"),
    )

    class Meta:
        model = QueueLine
        fields = ["id", "org", "hall_name", "name", "prefix", "is_active", "windows", "items", "waiting"]
        read_only_fields = fields


class QueueWindowSerializer(serializers.ModelSerializer):
    hall_name = serializers.CharField(source="org.name", read_only=True, help_text=_("服务大厅"))
    lines = serializers.PrimaryKeyRelatedField(
        source="queue_lines", many=True, read_only=True, help_text=_("本窗口叫号的业务队列")
    )
    current = QueueTicketSerializer(
        read_only=True, allow_null=True, help_text=_("正在办理的排队号；没有为 null")
    )

    class Meta:
        model = ServiceWindow
        fields = ["id", "org", "hall_name", "number", "name", "lines", "current"]
        read_only_fields = fields


class CallNextSerializer(serializers.Serializer):
    current = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text=_(
            "终端显示的本窗口正在办理的排队号 id（没有为 null）；窗口实际正在办理的不是它时（已被他人叫号），"
            "返回 409 且不叫号。不传则不作此检查。"
        ),
    )


class RequeueSerializer(serializers.Serializer):
    window = serializers.IntegerField(help_text=_("重新排队的窗口 id（须为叫该号所属业务队列的窗口）"))
