from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


class ParameterSerializer(serializers.Serializer):
    key = serializers.CharField(read_only=True, label=_("参数"))
    label = serializers.CharField(read_only=True, label=_("名称"))
    group = serializers.CharField(read_only=True, label=_("分组"))
    help_text = serializers.CharField(read_only=True, label=_("说明"))
    kind = serializers.CharField(read_only=True, label=_("类型"), help_text="int, float, bool, str")
    value = serializers.JSONField(read_only=True, label=_("当前值"))
    default = serializers.JSONField(read_only=True, label=_("默认值"))
    minimum = serializers.FloatField(read_only=True, allow_null=True, label=_("最小值"))
    maximum = serializers.FloatField(read_only=True, allow_null=True, label=_("最大值"))
    is_default = serializers.BooleanField(read_only=True, label=_("是否为默认值"))
    editable = serializers.BooleanField(read_only=True, label=_("当前用户能否修改"))


class ParameterValueSerializer(serializers.Serializer):
    value = serializers.JSONField(label=_("新值"), help_text=_("数字、布尔值或文本，按参数类型校验。"))
