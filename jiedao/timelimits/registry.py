"""Kinds of clocks. Apps that time something register their kind once (e.g. in their `apps.py` `ready()`)
so the monitoring page and the threshold page can show a Chinese name for it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.functional import Promise


@dataclass(frozen=True)
class ClockKind:
    key: str
    label: str | Promise
    default_yellow_ratio: Decimal = Decimal("0.80")
    # The model a clock of this kind times ("app_label.Model") and what its name reads besides its own
    # columns (select_related): the monitoring page names each clock's record, one query per model.
    target_model: str = ""
    target_related: tuple[str, ...] = ()


KINDS: dict[str, ClockKind] = {}


def register_kind(
    key: str,
    label,
    *,
    default_yellow_ratio: Decimal | str = "0.80",
    target_model: str = "",
    target_related: tuple[str, ...] = (),
) -> ClockKind:
    kind = ClockKind(key, label, Decimal(str(default_yellow_ratio)), target_model, tuple(target_related))
    KINDS[key] = kind
    return kind


def target_querysets() -> list:
    """For `GenericPrefetch("target", …)`: each registered target model with what its name reads."""
    from django.apps import apps

    related: dict[str, set[str]] = {}
    for kind in KINDS.values():
        if kind.target_model:
            related.setdefault(kind.target_model, set()).update(kind.target_related)
    return [
        apps.get_model(model)._default_manager.select_related(*sorted(fields))
        for model, fields in sorted(related.items())
    ]


def kind_label(key: str) -> str:
    kind = KINDS.get(key)
    return str(kind.label) if kind else key
