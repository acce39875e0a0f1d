"""Periodic jobs of 排队叫号."""

from __future__ import annotations

from django_tasks import task


@task()
def close_days() -> int:
    """日终处理: the tickets of past days left waiting or being served, and their phones (`services.days_close`)."""
    from jiedao.queueing.services import days_close

    return days_close()
