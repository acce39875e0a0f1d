"""Background jobs of the working-day calendar."""

from __future__ import annotations

from django_tasks import task

from jiedao.workcalendar import services


@task()
def check_calendar_coverage() -> list[int]:
    """Alert the administrator about uncovered years (this year, and next year near year end)."""
    return services.check_coverage()
