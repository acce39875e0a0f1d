"""Background jobs of the registry."""

from __future__ import annotations

from django_tasks import task

from jiedao.registry import reminders


@task()
def permit_reminders() -> int:
    """Daily: mark migrants whose residence permit expires soon (see `reminders.send_permit_reminders`)."""
    return reminders.send_permit_reminders()
