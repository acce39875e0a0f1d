from rest_framework import serializers

from jiedao.orgs.models import OrgUnit


class OrgUnitSerializer(serializers.ModelSerializer):
    level_display = serializers.CharField(source="get_level_display", read_only=True)

    class Meta:
        model = OrgUnit
        fields = [
            "id",
            "name",
            "level",
            "level_display",
            "division_code",
            "parent",
            "is_active",
            # the node's own (blank: its ancestors' apply); set on the org edit page
            "reconsideration_body",
            "litigation_court",
        ]
