"""Background jobs of the registry."""

from __future__ import annotations

from datetime import datetime

from django_tasks import task

from jiedao.registry import reminders
from jiedao.registry.statistics import snapshots


@task()
def permit_reminders() -> int:
    """Daily: mark migrants whose residence permit expires soon (see `reminders.send_permit_reminders`)."""
    return reminders.send_permit_reminders()


@task()
def refresh_statistics(requested_at: str | None = None) -> int:
    """Hourly, after a registry import and on request: a new statistics snapshot (see
    `statistics.snapshots`). Returns its number of rows; 0 when a newer snapshot already answered the request."""
    snapshot = snapshots.refresh(datetime.fromisoformat(requested_at) if requested_at else None)
    return snapshot.counts.count() if snapshot is not None else 0


@task()
def refresh_residence_splits() -> int:
    """Daily, the safety net of the stored 人户分离 (`Person.residence_split`): every person's category
    recomputed by `ResidenceRule`, in batches, where a write bypassed the services. Returns how many were stale
    (0 when every write kept them)."""
    from jiedao.registry.services.residence import refresh_all

    return refresh_all()
