"""The daily removal of stored uploads (personal data) of jobs that ended long ago."""

from __future__ import annotations

from datetime import timedelta

from django_tasks import task

from jiedao.core.schedule import periodic
from jiedao.spreadsheets import services


@periodic("spreadsheets.purge_import_files", timedelta(days=1))
@task()
def purge_import_files() -> dict:
    return {"removed": services.purge_expired_files()}
