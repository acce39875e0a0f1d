"""Background jobs of the time limits."""

from __future__ import annotations

from django_tasks import task

from jiedao.timelimits import services


@task()
def sweep_clocks() -> dict[str, int]:
    """Turn clocks yellow or red whose warning point or deadline has passed."""
    result = services.sweep_clocks()
    return {"turned_yellow": result.turned_yellow, "turned_red": result.turned_red}
