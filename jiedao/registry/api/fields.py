"""Serializer building blocks of the registry API.

Input serializers only *parse* (types, lengths, object references); the services decide what is valid.
Objects referred to by id in a request body are looked up within the caller's scope for the permission the
service will check, so a reference to something out of scope is answered 404 exactly like a URL would be.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import models
from django.utils.encoding import smart_str
from rest_framework import serializers

from jiedao.core.api.exceptions import flat_messages
from jiedao.core.exceptions import OutOfScope
from jiedao.registry.models import Person
from jiedao.registry.selectors import ENCRYPTED_PERSON_FIELDS

Permission = str | Callable[[serializers.Serializer], str]
MAX_ID = 2**63 - 1


class ScopedPrimaryKeyField(serializers.IntegerField):
    """An object referred to by its id, resolved within `model.objects.visible_to(user, permission)`.

    `permission` may be a callable taking the root serializer (e.g. add on create, change on update).
    Output is the id (`<source>_id`), so reading never loads the related object.
    """

    def __init__(self, *, model: type[models.Model], permission: Permission, **kwargs):
        self.model = model
        self.permission = permission
        super().__init__(**kwargs)

    def validate_empty_values(self, data):
        if self.allow_null and data is not serializers.empty and smart_str(data).strip() == "":
            return (True, None)
        return super().validate_empty_values(data)

    def queryset(self):
        permission = self.permission(self.root) if callable(self.permission) else self.permission
        queryset = self.model.objects.visible_to(self.context["request"].user, permission)
        if self.model is Person:
            queryset = queryset.defer(*ENCRYPTED_PERSON_FIELDS)
        return queryset

    def to_internal_value(self, data):
        pk = super().to_internal_value(data)
        found = self.queryset().filter(pk=pk).first() if 0 < pk <= MAX_ID else None
        if found is None:
            raise OutOfScope()
        return found

    def get_attribute(self, instance):
        if self.source == "*" or len(self.source_attrs) != 1:
            return super().get_attribute(instance)
        return getattr(instance, f"{self.source}_id", None)

    def to_representation(self, value):
        return value.pk if isinstance(value, models.Model) else int(value)


def text(model: type[models.Model], name: str, **kwargs) -> serializers.CharField:
    """An optional text input with the model field's length and Chinese label; services check the rest."""
    field = model._meta.get_field(name)
    kwargs.setdefault("required", False)
    kwargs.setdefault("allow_blank", True)
    kwargs.setdefault("label", str(field.verbose_name))
    if field.max_length:
        kwargs.setdefault("max_length", field.max_length)
    if field.help_text and "help_text" not in kwargs:
        kwargs["help_text"] = str(field.help_text)
    return serializers.CharField(**kwargs)


class InputSerializer(serializers.Serializer):
    """A request body: every field error comes back as `{field: ["中文信息", …]}`, nested ones flattened."""

    def run_validation(self, data=serializers.empty):
        try:
            return super().run_validation(data)
        except serializers.ValidationError as error:
            if isinstance(error.detail, dict):
                flat = {key: flat_messages(value) for key, value in error.detail.items()}
                raise serializers.ValidationError(flat) from None
            raise


class RegistryErrorSerializer(serializers.Serializer):
    """The error body of every registry endpoint (see `jiedao.core.api.exceptions`)."""

    code = serializers.CharField(help_text="稳定的错误代码：invalid、permission_denied、not_found 等")
    detail = serializers.CharField(help_text="中文说明（有字段错误时为第一条）")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text='按字段列出的中文错误信息，如 {"id_number": ["公民身份号码校验位错误：…"]}',
    )
