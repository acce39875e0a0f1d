"""Audit event types. Each app declares its own in `audit_events.py` with a stable number and dotted name."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise


@dataclass(frozen=True)
class EventType:
    code: int
    name: str
    label: str | Promise

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


EVENT_TYPES: dict[str, EventType] = {}
_CODES: dict[int, str] = {}


def event_type(code: int, name: str, label) -> EventType:
    if _CODES.get(code, name) != name:
        raise ValueError(f"audit event code {code} is already used by {_CODES[code]}")
    if name in EVENT_TYPES and EVENT_TYPES[name].code != code:
        raise ValueError(f"audit event name {name} is already declared with another code")
    declared = EventType(code, name, label)
    EVENT_TYPES[name] = declared
    _CODES[code] = name
    return declared


def choices() -> list[tuple[str, str]]:
    return [(e.name, f"{e.code} {e.label}") for e in sorted(EVENT_TYPES.values(), key=lambda e: e.code)]


def label_for(name: str) -> str:
    """The label of a declared event type; the dotted name itself for a type no app declares any more."""
    declared = EVENT_TYPES.get(name)
    return str(declared.label) if declared else name
