"""System parameters: each app declares the settings an administrator may change at run time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class ParameterSpec:
    key: str
    label: str | Promise
    default: Any
    kind: type = int
    minimum: float | None = None
    maximum: float | None = None
    group: str | Promise = ""
    help_text: str | Promise = ""

    def parse(self, raw: Any) -> Any:
        """Turn form or API input into a value; raise ValueError with a Chinese message when invalid."""
        if self.kind is bool:
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in ("1", "true", "on", "yes", "是"):
                return True
            if text in ("0", "false", "off", "no", "否", ""):
                return False
            raise ValueError(_("请选择“是”或“否”。"))
        if self.kind in (int, float):
            try:
                value = self.kind(str(raw).strip())
            except (TypeError, ValueError):
                raise ValueError(_("请输入数字。")) from None
            if self.minimum is not None and value < self.minimum:
                raise ValueError(_("不能小于 %(min)s。") % {"min": self.minimum})
            if self.maximum is not None and value > self.maximum:
                raise ValueError(_("不能大于 %(max)s。") % {"max": self.maximum})
            return value
        value = str(raw).strip()
        if not value:
            raise ValueError(_("不能为空。"))
        return value


PARAMETERS: dict[str, ParameterSpec] = {}


def declare(key: str, label, default, **options) -> ParameterSpec:
    spec = ParameterSpec(key=key, label=label, default=default, **options)
    PARAMETERS[key] = spec
    return spec
