"""The daily move of expired audit events to archive files."""

from __future__ import annotations

import logging
from datetime import timedelta

from django_tasks import task

from jiedao.audit import services
from jiedao.audit.audit_events import AUDIT_ARCHIVED
from jiedao.core.schedule import periodic

logger = logging.getLogger(__name__)


@periodic("audit.archive_expired", timedelta(days=1))
@task()
def archive_expired_events() -> dict | None:
    """Archive the events older than the `audit.retention_days` parameter. A refusal (a broken chain in the
    range) is logged and audited as a failed archiving; the events stay in place."""
    from jiedao.parameters.services import get_parameter

    retention_days = int(get_parameter("audit.retention_days"))
    try:
        archive = services.archive_expired(retention_days=retention_days)
    except services.ArchiveRefused as error:
        logger.error("audit archiving refused: %s", error.message)
        services.record(
            AUDIT_ARCHIVED, actor_name=services.SYSTEM_ACTOR, success=False, message=str(error.message)
        )
        return {"archived": 0, "error": str(error.message)}
    if archive is None:
        return {"archived": 0}
    return {"archived": archive.event_count, "first": archive.first_event_id, "last": archive.last_event_id}
