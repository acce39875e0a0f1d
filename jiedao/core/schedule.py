"""Periodic jobs. Apps declare them in `schedules.py`; one scheduler process enqueues them when due.

Two schedulers may be started (two servers, a restart overlapping the old process): only the holder of
the lease enqueues, so no job runs twice.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from jiedao.core.models import ScheduledJobRun, SchedulerLease

LEASE_NAME = "periodic"
LEASE_SECONDS = 90


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    task: object  # a django-tasks Task
    every: timedelta


JOBS: dict[str, PeriodicJob] = {}


def periodic(name: str, every: timedelta):
    def register(task):
        JOBS[name] = PeriodicJob(name=name, task=task, every=every)
        return task

    return register


def holder_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def acquire_lease(holder: str, now=None) -> bool:
    """Take or renew the lease; True when `holder` owns it for the next LEASE_SECONDS."""
    now = now or timezone.now()
    expires = now + timedelta(seconds=LEASE_SECONDS)
    with transaction.atomic():
        taken = SchedulerLease.objects.filter(
            Q(holder=holder) | Q(expires_at__lt=now), name=LEASE_NAME
        ).update(holder=holder, expires_at=expires)
        if taken:
            return True
        if SchedulerLease.objects.filter(name=LEASE_NAME).exists():
            return False
        try:
            with transaction.atomic():
                SchedulerLease.objects.create(name=LEASE_NAME, holder=holder, expires_at=expires)
        except IntegrityError:
            return False
    return True


def release_lease(holder: str) -> None:
    SchedulerLease.objects.filter(name=LEASE_NAME, holder=holder).delete()


def run_due_jobs(holder: str, now=None) -> list[str]:
    """Enqueue every job whose interval has passed; only while holding the lease."""
    now = now or timezone.now()
    if not acquire_lease(holder, now):
        return []
    enqueued = []
    for job in JOBS.values():
        with transaction.atomic():
            run, created = ScheduledJobRun.objects.select_for_update().get_or_create(
                job=job.name, defaults={"last_enqueued_at": now}
            )
            if not created and now - run.last_enqueued_at < job.every:
                continue
            run.last_enqueued_at = now
            run.save(update_fields=["last_enqueued_at"])
            transaction.on_commit(job.task.enqueue)
        enqueued.append(job.name)
    return enqueued
