"""工作交接: what a staff member holds, and moving it to a successor when they leave or change post.

Each app that gives work to a person declares, in its own `handover.py` (found at start-up by
`core.registry`), one `HandoverKind` per kind of work: how to count what a user holds open, and how to move it
to a successor inside the caller's transaction. The rules of each kind (who may take it over, what is written
on the record) stay in the app; `accounts.services.user_handover` runs every kind in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.functional import Promise


@dataclass(frozen=True)
class LeftBehind:
    """One piece of work the successor cannot take (and that stays where it was), with the reason. The label
    names the record by its kind and number, never by its content: the one handing over is often the system
    administrator, who does no business and is not to read a visitor's question or an applicant's name."""

    kind: str
    label: str
    reason: str

    @classmethod
    def of(cls, kind: str, record, reason, detail: str = "") -> LeftBehind:
        label = f"{record._meta.verbose_name} #{record.pk}" + (f"（{detail}）" if detail else "")
        return cls(kind, label, str(reason))


@dataclass
class Moved:
    """What one kind's hand-over did: how many moved, and what could not."""

    count: int = 0
    left: list[LeftBehind] = field(default_factory=list)


@dataclass(frozen=True)
class HandoverKind:
    """`count(user) -> int`: open work held; `move(*, actor, from_user, to_user, reason) -> Moved`: move it
    within the caller's transaction (after the checks of that kind, which name what cannot go).
    `needs_successor=False`: what simply ends with the post (a proxy setting), so needs nobody to take it."""

    code: str
    label: str | Promise
    count: Callable
    move: Callable
    order: int = 100
    needs_successor: bool = True


_KINDS: dict[str, HandoverKind] = {}


def register(kind: HandoverKind) -> HandoverKind:
    _KINDS[kind.code] = kind
    return kind


def kinds() -> list[HandoverKind]:
    """In the order they are moved: the workflow's steps first, as every service locks a process instance
    before its application."""
    return sorted(_KINDS.values(), key=lambda kind: (kind.order, kind.code))
