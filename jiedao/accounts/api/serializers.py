from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from jiedao.accounts.models import User


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(label=_("用户名"))
    password = serializers.CharField(label=_("密码"), style={"input_type": "password"})


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()


class UserSerializer(serializers.ModelSerializer):
    org_name = serializers.CharField(source="org.name", read_only=True)
    roles = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "full_name", "org", "org_name", "is_active", "roles"]
