"""Writing and verifying the audit log."""

from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from jiedao.audit.models import AuditArchive, AuditChainHead, AuditEvent
from jiedao.audit.registry import EventType
from jiedao.core import request_context

GENESIS_HASH = "0" * 64


def sm3_hex(data: bytes) -> str:
    return hashlib.new("sm3", data).hexdigest()


def _canonical(event: AuditEvent) -> bytes:
    body = {
        "code": event.event_code,
        "name": event.event_name,
        "at": event.created_at.isoformat(),
        "actor": event.actor_id,
        "actor_name": event.actor_name,
        "ip": event.ip,
        "request_id": event.request_id,
        "org": event.org_id,
        "target": [event.target_type, event.target_id, event.target_repr],
        "success": event.success,
        "message": event.message,
        "before": event.before,
        "after": event.after,
        "prev": event.prev_hash,
    }
    return json.dumps(body, sort_keys=True, ensure_ascii=False, cls=DjangoJSONEncoder).encode()


def _jsonable(data: dict[str, Any] | None) -> dict[str, Any] | None:
    if data is None:
        return None
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, default=str))


def record(
    event: EventType,
    *,
    actor=None,
    target: models.Model | None = None,
    org=None,
    success: bool = True,
    message: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    actor_name: str = "",
) -> AuditEvent:
    """Append one event, chained to the previous one, inside the caller's transaction."""
    info = request_context.current()
    if org is None and target is not None and hasattr(target, "scope_org_id"):
        org_id = target.scope_org_id()
    else:
        org_id = getattr(org, "pk", org)
    with transaction.atomic():
        head = _locked_head()
        entry = AuditEvent(
            event_code=event.code,
            event_name=event.name,
            created_at=timezone.now(),
            actor=actor if getattr(actor, "pk", None) else None,
            actor_name=actor_name or getattr(actor, "username", "") or "",
            ip=info.ip,
            user_agent=info.user_agent[:300],
            request_id=info.request_id,
            org_id=org_id,
            target_type=target._meta.label if target is not None else "",
            target_id=str(target.pk) if target is not None and target.pk is not None else "",
            target_repr=str(target)[:200] if target is not None else "",
            success=success,
            message=str(message)[:500],
            before=_jsonable(before),
            after=_jsonable(after),
            prev_hash=head.last_hash,
        )
        entry.hash = sm3_hex(_canonical(entry))
        entry.save()
        AuditChainHead.objects.filter(pk=head.pk).update(last_event_id=entry.pk, last_hash=entry.hash)
    return entry


def _locked_head() -> AuditChainHead:
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        AuditChainHead.objects.get_or_create(pk=1, defaults={"last_hash": GENESIS_HASH})
        head = AuditChainHead.objects.select_for_update().get(pk=1)
    return head


def snapshot(instance: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """The values of a record's concrete fields, for before/after data."""
    data: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        if fields is not None and field.name not in fields:
            continue
        value = field.value_from_object(instance)
        data[field.attname if field.is_relation else field.name] = value
    return data


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken_event_id: int | None
    reason: str

    @property
    def ok(self) -> bool:
        return self.broken_event_id is None


def verify_chain() -> ChainReport:
    """Walk the live events in order and report the first one whose hash or link does not match."""
    last_archive = AuditArchive.objects.order_by("-last_event_id").first()
    expected_prev = last_archive.last_hash if last_archive else GENESIS_HASH
    checked = 0
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        if event.prev_hash != expected_prev:
            return ChainReport(checked, event.pk, "链接断裂：前一事件哈希不一致")
        if sm3_hex(_canonical(event)) != event.hash:
            return ChainReport(checked, event.pk, "内容被篡改：事件哈希与内容不符")
        expected_prev = event.hash
        checked += 1
    head = AuditChainHead.objects.filter(pk=1).first()
    if head and checked and head.last_hash != expected_prev:
        return ChainReport(checked, head.last_event_id, "链尾缺失：最新事件已被删除")
    return ChainReport(checked, None, "")


def archive_expired(*, retention_days: int) -> AuditArchive | None:
    """Move events older than the retention period to a gzip JSON-lines file, in chain order.

    The file's SM3 and the last hash are kept, so verification continues from the archive.
    """
    cutoff = timezone.now() - timedelta(days=retention_days)
    expired = AuditEvent.objects.filter(created_at__lt=cutoff).order_by("id")
    last = expired.last()
    if last is None:
        return None
    archive_dir = settings.VAR_DIR / "audit-archive"
    archive_dir.mkdir(parents=True, exist_ok=True)
    first = expired.first()
    path = archive_dir / f"audit-{first.pk:012d}-{last.pk:012d}.jsonl.gz"
    digest = hashlib.new("sm3")
    with gzip.open(path, "wt", encoding="utf-8") as out:
        for event in expired.iterator(chunk_size=2000):
            line = json.dumps(
                {**json.loads(_canonical(event)), "id": event.pk, "hash": event.hash},
                ensure_ascii=False,
                sort_keys=True,
            )
            digest.update(line.encode())
            out.write(line + "\n")
    with transaction.atomic():
        archive = AuditArchive.objects.create(
            first_event_id=first.pk,
            last_event_id=last.pk,
            event_count=expired.count(),
            last_hash=last.hash,
            file_path=str(path),
            file_sm3=digest.hexdigest(),
        )
        # The only removal of audit rows, after they are safely in the archive file.
        models.QuerySet.delete(AuditEvent.objects.filter(pk__lte=last.pk, created_at__lt=cutoff))
    return archive
