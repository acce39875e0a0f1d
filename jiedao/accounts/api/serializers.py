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


class HandoverRequestSerializer(serializers.Serializer):
    successor = serializers.IntegerField(
        label=_("接替人"), required=False, allow_null=True, help_text=_("接替人的用户 id")
    )
    reason = serializers.CharField(label=_("交接原因"), max_length=500, required=False, allow_blank=True)
    deactivate = serializers.BooleanField(
        label=_("交接后停用账号"),
        default=False,
        help_text=_("为 true 时交接与停用一并办理：有接替人不能办理的工作则都不执行"),
    )


class LeftBehindSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()
    reason = serializers.CharField()


class HandoverResultSerializer(serializers.Serializer):
    moved = serializers.DictField(child=serializers.IntegerField(), help_text=_("各类工作交接的数量"))
    left = LeftBehindSerializer(many=True, help_text=_("接替人不能办理、仍留在原处的工作"))
    ended = serializers.DictField(child=serializers.IntegerField(), help_text=_("随之取消的流程代理设置"))
    deactivated = serializers.BooleanField()
