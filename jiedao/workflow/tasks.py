"""Background jobs of the workflow engine."""

from __future__ import annotations

from django_tasks import task

from jiedao.workflow import services


@task()
def fire_due_timers() -> dict[str, int]:
    """Advance the instances whose timers (deadlines, escalations) are due."""
    result = services.fire_due_timers()
    return {"advanced": result.advanced, "failed": result.failed}
