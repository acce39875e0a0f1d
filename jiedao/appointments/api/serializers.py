"""Input and output of the resident API's bookings (/api/v1/resident/appointments/)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from jiedao.appointments.models import Appointment


class AppointmentSerializer(serializers.ModelSerializer):
    item_name = serializers.CharField(source="item.name", read_only=True, help_text=_("事项名称"))
    hall = serializers.CharField(source="org.name", read_only=True, help_text=_("服务大厅（事项的实施单位）"))
    address = serializers.CharField(source="item.window_address", read_only=True, help_text=_("办理地点"))
    slot = serializers.CharField(source="slot.__str__", read_only=True, help_text=_("时段，如 09:00–09:30"))
    status_display = serializers.CharField(source="get_status_display", read_only=True, help_text=_("状态"))
    cancellable = serializers.BooleanField(read_only=True, help_text=_("时段开始前的预约可以取消"))
    cancel_reason = serializers.CharField(
        read_only=True, help_text=_("服务大厅取消预约的原因（不计爽约）；群众自己取消的为空")
    )

    class Meta:
        model = Appointment
        fields = [
            "id",
            "code",
            "item",
            "item_name",
            "hall",
            "address",
            "date",
            "slot",
            "starts_at",
            "ends_at",
            "status",
            "status_display",
            "cancellable",
            "cancel_reason",
            "created_at",
            "cancelled_at",
            "checked_in_at",
        ]
        read_only_fields = fields


class BookSerializer(serializers.Serializer):
    item = serializers.IntegerField(help_text=_("事项 id"))
    date = serializers.DateField(help_text=_("预约日期（工作日，见 slots 的 dates）"))
    slot = serializers.IntegerField(help_text=_("时段 id（见 slots）"))


class SlotQuerySerializer(serializers.Serializer):
    item = serializers.IntegerField(help_text=_("事项 id"))
    date = serializers.DateField(required=False, help_text=_("日期；不填为可预约的第一个工作日"))


class SlotPlacesSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="slot.pk", help_text=_("时段 id"))
    start = serializers.TimeField(source="slot.start", format="%H:%M", help_text=_("开始时间"))
    end = serializers.TimeField(source="slot.end", format="%H:%M", help_text=_("结束时间"))
    capacity = serializers.IntegerField(source="slot.capacity", help_text=_("可预约人数"))
    remaining = serializers.IntegerField(help_text=_("剩余名额"))
    bookable = serializers.BooleanField(help_text=_("尚有名额、未开始且未停止预约"))
    closed = serializers.BooleanField(help_text=_("服务大厅停止了该日期全天或该时段的预约"))
    closed_reason = serializers.CharField(help_text=_("停止预约的原因；未停止的为空"))


class FreeSlotsSerializer(serializers.Serializer):
    dates = serializers.ListField(child=serializers.DateField(), help_text=_("可预约的工作日"))
    date = serializers.DateField(help_text=_("以下时段的日期"))
    slots = SlotPlacesSerializer(
        many=True, help_text=_("该日的时段及剩余名额；事项的服务大厅未开放预约时为空")
    )
