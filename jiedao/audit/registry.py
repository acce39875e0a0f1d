"""Audit event types. Each app declares its own in `audit_events.py` with a stable number and dotted name, and
the labels of the keys its events write into `before` / `after` that are not fields of the target's model
(`detail_labels`), so the auditor reads 筛选条件, not `filter`."""

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


# (app, key) → label; app "" for the keys every app writes in the same sense (状态, 原因, 筛选条件…).
DETAIL_LABELS: dict[tuple[str, str], str | Promise] = {}


def detail_labels(app: str, **labels) -> None:
    """Declare what the event page calls the keys an app's events write into `before` / `after` (the first
    part of their dotted names: `applications`), when they are not fields of the target's model."""
    for key, label in labels.items():
        if (app, key) in DETAIL_LABELS:
            raise ValueError(f"audit detail key {key} of {app or 'every app'} is already declared")
        DETAIL_LABELS[app, key] = label


def detail_label(event_name: str, key: str) -> str | None:
    """The declared label of a key of one event's details, the app's own before the shared one."""
    label = DETAIL_LABELS.get((event_name.split(".", 1)[0], key)) or DETAIL_LABELS.get(("", key))
    return None if label is None else str(label)
