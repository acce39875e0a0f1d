"""System parameters: each app declares the settings an administrator may change at run time.

A declaration names who may change it: `MANAGE_SYSTEM` (the system administrator, the default) or
`MANAGE_SECURITY_POLICY` (the security administrator: password and login policy, under the separation of
the three admin duties). Everyone holding `parameters.view_systemparameter` may read every parameter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _

VIEW = "parameters.view_systemparameter"
MANAGE_SYSTEM = "parameters.manage_systemparameter"
MANAGE_SECURITY_POLICY = "parameters.manage_security_policy"
MANAGE_PERMISSIONS = (MANAGE_SYSTEM, MANAGE_SECURITY_POLICY)
READ_PERMISSIONS = (VIEW, *MANAGE_PERMISSIONS)  # whoever may change a parameter may also read the list


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


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
    permission: str = MANAGE_SYSTEM

    @property
    def kind_name(self) -> str:
        return {bool: "bool", int: "int", float: "float"}.get(self.kind, "str")

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
            return self._check_range(self._parse_number(raw))
        value = "" if raw is None else str(raw).strip()
        if not value:
            raise ValueError(_("不能为空。"))
        return value

    def _parse_number(self, raw: Any) -> int | float:
        if isinstance(raw, bool) or raw is None or isinstance(raw, list | dict):
            raise ValueError(_("请输入数字。"))
        text = str(raw).strip()
        try:
            number = float(text)  # also accepts full-width digits such as "８"
        except ValueError:
            raise ValueError(_("请输入数字。")) from None
        if not math.isfinite(number):
            raise ValueError(_("请输入数字。"))
        if self.kind is float:
            return number
        try:
            return int(text)
        except ValueError:
            if number.is_integer():
                return int(number)  # "8.0"
            raise ValueError(_("请输入整数。")) from None

    def _check_range(self, value: int | float) -> int | float:
        if self.minimum is not None and value < self.minimum:
            raise ValueError(_("不能小于 %(min)s。") % {"min": _number_text(self.minimum)})
        if self.maximum is not None and value > self.maximum:
            raise ValueError(_("不能大于 %(max)s。") % {"max": _number_text(self.maximum)})
        return value


PARAMETERS: dict[str, ParameterSpec] = {}


def declare(key: str, label, default, **options) -> ParameterSpec:
    spec = ParameterSpec(key=key, label=label, default=default, **options)
    if spec.permission not in MANAGE_PERMISSIONS:
        raise ValueError(f"parameter {key}: permission must be one of {MANAGE_PERMISSIONS}")
    PARAMETERS[key] = spec
    return spec


def groups() -> list[tuple[str, list[ParameterSpec]]]:
    """The declared parameters grouped by `group`, groups and parameters in declaration order."""
    grouped: dict[str, list[ParameterSpec]] = {}
    for spec in PARAMETERS.values():
        grouped.setdefault(str(spec.group) or _("其他"), []).append(spec)
    return list(grouped.items())
