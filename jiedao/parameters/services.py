from __future__ import annotations

import time
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from jiedao.audit import services as audit
from jiedao.core.exceptions import ValidationFailed
from jiedao.core.scope import require
from jiedao.parameters.audit_events import PARAMETER_CHANGED
from jiedao.parameters.models import SystemParameter
from jiedao.parameters.registry import MANAGE_SYSTEM, PARAMETERS, ParameterSpec

_CACHE_SECONDS = 5.0
_cache: dict[str, tuple[float, Any]] = {}


def get_parameter(key: str) -> Any:
    """Current value of a declared parameter (briefly cached per process)."""
    spec = PARAMETERS[key]
    hit = _cache.get(key)
    if hit and time.monotonic() - hit[0] < _CACHE_SECONDS:
        return hit[1]
    stored = SystemParameter.objects.filter(key=key).values_list("value", flat=True).first()
    value = spec.default if stored is None else stored
    _cache[key] = (time.monotonic(), value)
    return value


def clear_cache() -> None:
    _cache.clear()


def _spec_for(actor, key: str) -> ParameterSpec:
    """The declaration of `key`, after checking that the actor may change it."""
    spec = PARAMETERS.get(key)
    if spec is None:
        require(actor, MANAGE_SYSTEM, None)
        raise ValidationFailed({"key": [_("未知的系统参数。")]}, code="unknown_parameter")
    require(actor, spec.permission, None)
    return spec


def _changed(*, actor, key: str, before: Any, after: Any) -> None:
    audit.record(PARAMETER_CHANGED, actor=actor, message=key, before={key: before}, after={key: after})
    transaction.on_commit(clear_cache)
    clear_cache()


def parameter_set(*, actor, key: str, raw_value: Any) -> Any:
    """Validate and store a new value; errors come back under the parameter's key, nothing is saved.

    The actor needs the permission the parameter was declared with (system or security policy).
    Setting the value it already has changes nothing and writes no audit event.
    """
    spec = _spec_for(actor, key)
    try:
        value = spec.parse(raw_value)
    except ValueError as error:
        raise ValidationFailed({key: [str(error)]}) from None
    with transaction.atomic():
        row = SystemParameter.objects.select_for_update().filter(key=key).first()
        before = spec.default if row is None else row.value
        if row is not None and before == value and type(before) is type(value):
            return value
        SystemParameter.objects.update_or_create(key=key, defaults={"value": value, "updated_by": actor})
        _changed(actor=actor, key=key, before=before, after=value)
    return value


def parameter_reset(*, actor, key: str) -> Any:
    """Go back to the declared default (the stored value is removed); returns the default."""
    spec = _spec_for(actor, key)
    with transaction.atomic():
        row = SystemParameter.objects.select_for_update().filter(key=key).first()
        if row is None:
            return spec.default
        before = row.value
        row.delete()
        _changed(actor=actor, key=key, before=before, after=spec.default)
    return spec.default


def parameter_overridden(key: str) -> bool:
    return SystemParameter.objects.filter(key=key).exists()
