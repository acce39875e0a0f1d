from __future__ import annotations

import time
from typing import Any

from django.db import transaction

from jiedao.audit import services as audit
from jiedao.core.exceptions import ValidationFailed
from jiedao.core.scope import require
from jiedao.parameters.audit_events import PARAMETER_CHANGED
from jiedao.parameters.models import SystemParameter
from jiedao.parameters.registry import PARAMETERS

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


def parameter_set(*, actor, key: str, raw_value: Any) -> Any:
    require(actor, "parameters.manage_systemparameter", None)
    spec = PARAMETERS.get(key)
    if spec is None:
        raise ValidationFailed({"key": ["未知的系统参数。"]}, code="unknown_parameter")
    try:
        value = spec.parse(raw_value)
    except ValueError as error:
        raise ValidationFailed({key: [str(error)]}) from None
    before = get_parameter(key)
    with transaction.atomic():
        SystemParameter.objects.update_or_create(key=key, defaults={"value": value, "updated_by": actor})
        audit.record(PARAMETER_CHANGED, actor=actor, message=key, before={key: before}, after={key: value})
    transaction.on_commit(clear_cache)
    clear_cache()
    return value
