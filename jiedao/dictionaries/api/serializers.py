from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from jiedao.dictionaries.models import DictionaryItem, DictionaryType


class DictionaryTypeSerializer(serializers.ModelSerializer):
    active_count = serializers.IntegerField(read_only=True, label=_("启用项数"))

    class Meta:
        model = DictionaryType
        fields = ["code", "name", "standard", "description", "is_builtin", "active_count"]


class DictionaryItemSerializer(serializers.ModelSerializer):
    extra = serializers.DictField(
        read_only=True, label=_("附加信息"), help_text=_("如民族的罗马字母拼写 roman。")
    )

    class Meta:
        model = DictionaryItem
        fields = ["code", "name", "abbreviation", "extra", "sort_order", "is_active"]
