from rest_framework import serializers

from jiedao.orgs.models import OrgUnit


class OrgUnitSerializer(serializers.ModelSerializer):
    level_display = serializers.CharField(source="get_level_display", read_only=True)

    class Meta:
        model = OrgUnit
        fields = ["id", "name", "level", "level_display", "division_code", "parent", "is_active"]
