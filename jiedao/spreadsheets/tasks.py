"""Background work of the import engine."""

from __future__ import annotations

from django_tasks import task

from jiedao.spreadsheets import services


@task()
def run_import(job_id: int) -> dict:
    """Import (or resume) one job; the job row records the outcome, so this never raises for bad data."""
    return services.import_run(job_id)
