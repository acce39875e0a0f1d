"""Periodic jobs of 预约办理."""

from __future__ import annotations

from django_tasks import task


@task()
def mark_no_shows() -> int:
    """Mark bookings not checked in by their slot's end plus the grace as 爽约."""
    from jiedao.appointments.services import no_shows_mark

    return no_shows_mark()


@task()
def send_reminders() -> int:
    """预约提醒: text the residents booked for tomorrow, once each, every day, and those of today the
    evening's runs missed (`services.reminders_run`)."""
    from jiedao.appointments.services import reminders_run

    return reminders_run()
