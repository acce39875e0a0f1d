"""Background work through Django's task interface (the django-tasks backport on Django 5.2)."""

from __future__ import annotations

import logging

from django.db import transaction
from django_tasks import task_backends


def enqueue_on_commit(task, *args, **kwargs) -> None:
    """Enqueue only once the surrounding transaction has committed, so a rollback sends nothing."""
    transaction.on_commit(lambda: task.enqueue(*args, **kwargs))


def enqueue_or_log(task, *args, what: str) -> None:
    """Enqueue after a change already saved (a signal sent after commit): a queue that cannot be reached is
    logged with `what` to do by hand, not shown to the user as an error of the change."""
    try:
        task.enqueue(*args)
    except Exception:
        logging.getLogger(__name__).exception("could not queue %s; %s", task.name, what)


def queue_status() -> str:
    backend = task_backends["default"]
    try:
        if backend.__class__.__name__ == "RQBackend":
            import django_rq

            django_rq.get_connection("default").ping()
        elif backend.__class__.__name__ == "DatabaseBackend":
            from django_tasks_db.models import DBTaskResult

            DBTaskResult.objects.exists()
        return "ok"
    except Exception as error:
        return f"error: {error.__class__.__name__}"
