"""Periodic jobs of the service hall."""

from __future__ import annotations

from django_tasks import task


@task()
def deemed_acceptance() -> int:
    """Accept applications left untouched for N working days (行政许可法第三十二条)."""
    from jiedao.applications.services import deemed_acceptance_run

    return deemed_acceptance_run()


@task()
def archive_notices() -> int:
    """Archive public notices whose period has ended."""
    from jiedao.applications.services import notices_archive_run

    return notices_archive_run()


@task()
def deferral_reminders() -> int:
    """Remind applicants of 容缺 materials due the next working day (one text each)."""
    from jiedao.applications.services import deferral_reminders_run

    return deferral_reminders_run()


@task()
def purge_resident_tokens() -> int:
    """Delete expired and signed-out resident API tokens."""
    from jiedao.applications.services import resident_tokens_purge

    return resident_tokens_purge()
