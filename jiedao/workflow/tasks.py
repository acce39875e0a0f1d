"""Background jobs of the workflow engine."""

from __future__ import annotations

from django_tasks import task

from jiedao.workflow import services


@task()
def fire_due_timers() -> dict[str, int]:
    """Advance the instances whose timers (deadlines, escalations) are due."""
    result = services.fire_due_timers()
    return {"advanced": result.advanced, "failed": result.failed, "retried": result.retried}


@task()
def recompute_timers(first: str, last: str) -> dict[str, int]:
    """Count the waiting working-day timers again after the calendar days [first, last] changed."""
    import datetime as dt

    from jiedao.workflow.timers import timers_recompute

    moved = timers_recompute(first=dt.date.fromisoformat(first), last=dt.date.fromisoformat(last))
    return {"instances": moved}
