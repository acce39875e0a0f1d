"""Background jobs of the time limits."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from jiedao.timelimits import services


@task()
def sweep_clocks() -> dict[str, int]:
    """Turn clocks yellow or red whose warning point or deadline has passed."""
    result = services.sweep_clocks()
    return {"turned_yellow": result.turned_yellow, "turned_red": result.turned_red}


@task()
def recompute_clocks(
    first: str, last: str, reason: str | dict | list = "", actor_id: int | None = None
) -> dict:
    """Recompute the open clocks the calendar days [first, last] can reach (after a calendar change);
    `reason` is text, or a message as a record keeps it (`Message.stored()`)."""
    from jiedao.accounts.models import User

    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    result = services.clocks_recompute(
        actor=actor, first=dt.date.fromisoformat(first), last=dt.date.fromisoformat(last), reason=reason
    )
    return {"examined": result.examined, "changed": result.changed, "turned": result.turned}
