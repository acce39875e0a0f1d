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


KINDS: dict[str, ClockKind] = {}


def register_kind(key: str, label, *, default_yellow_ratio: Decimal | str = "0.80") -> ClockKind:
    kind = ClockKind(key, label, Decimal(str(default_yellow_ratio)))
    KINDS[key] = kind
    return kind


def kind_label(key: str) -> str:
    kind = KINDS.get(key)
    return str(kind.label) if kind else key
