"""Writing, verifying and archiving the audit log.

Every event carries `prev_hash` (the hash of the event before it) and `hash` = SM3 of its canonical JSON,
which includes `prev_hash`. Writers lock the single AuditChainHead row, so the chain never forks and event
ids increase in chain order. `verify_chain()` walks the live events from the last archive's hash to the head;
`archive_expired()` moves the oldest events, a contiguous id range, to a gzip JSON-lines file.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import math
import os
import uuid
from collections.abc import Iterator, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import validate_ipv46_address
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.ipv6 import clean_ipv6_address
from django.utils.translation import gettext as _

from jiedao.audit.db_guards import archiving_deletes
from jiedao.audit.models import AuditArchive, AuditChainHead, AuditEvent
from jiedao.audit.registry import EventType
from jiedao.core import request_context
from jiedao.core.exceptions import ServiceError
from jiedao.core.i18n import records_language

logger = logging.getLogger(__name__)

GENESIS_HASH = "0" * 64
# 《网络安全法》第二十一条：网络日志留存不少于六个月。
MIN_RETENTION_DAYS = 180
SYSTEM_ACTOR = "system"
ARCHIVE_DIR_NAME = "audit-archive"
CHUNK_SIZE = 2000

# The columns that enter the hash, in the order `.values()` returns them.
HASHED_COLUMNS = (
    "event_code",
    "event_name",
    "created_at",
    "actor_id",
    "actor_name",
    "ip",
    "user_agent",
    "request_id",
    "org_id",
    "target_type",
    "target_id",
    "target_repr",
    "success",
    "message",
    "before",
    "after",
    "prev_hash",
)


def sm3_hex(data: bytes) -> str:
    return hashlib.new("sm3", data).hexdigest()


def _now() -> datetime:
    return timezone.now()


# --- canonical form --------------------------------------------------------------------------------------


def _body(values: Mapping[str, Any]) -> dict[str, Any]:
    """The hashed content of an event, from a mapping of its column values."""
    return {
        "code": values["event_code"],
        "name": values["event_name"],
        "at": values["created_at"].isoformat(),
        "actor": values["actor_id"],
        "actor_name": values["actor_name"],
        "ip": values["ip"],
        "ua": values["user_agent"],
        "request_id": values["request_id"],
        "org": values["org_id"],
        "target": [values["target_type"], values["target_id"], values["target_repr"]],
        "success": values["success"],
        "message": values["message"],
        "before": values["before"],
        "after": values["after"],
        "prev": values["prev_hash"],
    }


def _dump(body: Mapping[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, ensure_ascii=False, cls=DjangoJSONEncoder).encode()


def _canonical(event: AuditEvent) -> bytes:
    return _dump(_body({column: getattr(event, column) for column in HASHED_COLUMNS}))


def event_hash(event: AuditEvent) -> str:
    """The hash an event's current content should have (used by tests and investigations)."""
    return sm3_hex(_canonical(event))


# --- writing -----------------------------------------------------------------------------------------------


def _clean_text(value: Any, limit: int) -> str:
    return str(value or "").replace("\x00", "")[:limit]


def _clean_json(value: Any) -> Any:
    """What the database gives back must hash the same as what was written: no NUL characters (refused by
    PostgreSQL), no NaN/Infinity (not JSON), and no float that jsonb would hand back as an integer."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if value.is_integer() and abs(value) >= 1e16:
            return int(value)
        return value
    if isinstance(value, dict):
        return {_clean_text(k, 1000): _clean_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean_json(v) for v in value]
    return value


def _jsonable(data: Any) -> Any:
    if data is None:
        return None
    return _clean_json(json.loads(json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, default=str)))


def _clean_ip(ip: str | None) -> str | None:
    """The address as the database will store it, or None when it is not an address at all."""
    if not ip:
        return None
    ip = str(ip).strip()
    try:
        validate_ipv46_address(ip)
    except ValidationError:
        return None
    return clean_ipv6_address(ip) if ":" in ip else ip


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
    # No savepoint of its own: an event that cannot be written must undo the caller's whole change, and a
    # savepoint pair is two more statements on every audited write. The record's own words (the target's
    # name, a lazy message) are in the site's language whatever the request's.
    with transaction.atomic(savepoint=False), records_language():
        head = _locked_head()
        entry = AuditEvent(
            event_code=event.code,
            event_name=event.name,
            created_at=_now(),
            actor=actor if getattr(actor, "pk", None) else None,
            actor_name=_clean_text(actor_name or getattr(actor, "username", ""), 150),
            ip=_clean_ip(info.ip),
            user_agent=_clean_text(info.user_agent, 300),
            request_id=_clean_text(info.request_id, 64),
            org_id=org_id,
            target_type=target._meta.label[:80] if target is not None else "",
            target_id=_clean_text(target.pk, 64) if target is not None and target.pk is not None else "",
            target_repr=_clean_text(target, 200) if target is not None else "",
            success=success,
            message=_clean_text(message, 500),
            before=_jsonable(before),
            after=_jsonable(after),
            prev_hash=head.last_hash,
        )
        entry.hash = event_hash(entry)
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
    for model_field in instance._meta.concrete_fields:
        if fields is not None and model_field.name not in fields:
            continue
        value = model_field.value_from_object(instance)
        data[model_field.attname if model_field.is_relation else model_field.name] = value
    return data


# --- verifying the live chain ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken_event_id: int | None
    reason: str

    @property
    def ok(self) -> bool:
        return self.broken_event_id is None and not self.reason

    @property
    def summary(self) -> str:
        if self.ok:
            return _("审计链完整，共校验 %(n)d 条。") % {"n": self.checked}
        if self.broken_event_id is None:
            return _("审计链异常：%(reason)s") % {"reason": self.reason}
        return _("审计链在事件 #%(id)d 处断裂：%(reason)s") % {
            "id": self.broken_event_id,
            "reason": self.reason,
        }


def _streaming():
    """Where to read a long result: on PostgreSQL inside a transaction, so `.iterator()`'s server-side cursor
    is not WITH HOLD (which materialises the whole result first); on SQLite outside one, so that a long read
    does not hold the write lock."""
    return transaction.atomic() if connection.vendor == "postgresql" else nullcontext()


def _rows(queryset: models.QuerySet) -> Iterator[dict[str, Any]]:
    return queryset.values("id", "hash", *HASHED_COLUMNS).iterator(chunk_size=CHUNK_SIZE)


def _archive_hash_before(event_id: int) -> str:
    """The hash the live chain continues from: the last archived event before `event_id`."""
    archive = AuditArchive.objects.filter(last_event_id__lt=event_id).order_by("-last_event_id").first()
    return archive.last_hash if archive else GENESIS_HASH


def verify_chain() -> ChainReport:
    """Walk the live events in id order and report the first one whose content or link does not match.

    Detects an edited event (its hash no longer matches its content), a deleted or forged event (the next
    event's `prev_hash` no longer matches), and deleted newest events (the chain head names a hash no live
    event has). The head is read first and only events up to it are checked, so concurrent writers do not
    cause false reports; the archive the chain continues from is looked up from the first live event.
    """
    head = AuditChainHead.objects.filter(pk=1).first()
    events = AuditEvent.objects.order_by("id")
    if head is not None:
        events = events.filter(id__lte=head.last_event_id)
    checked = 0
    expected_prev: str | None = None
    previous_id: int | None = None
    with _streaming():
        for row in _rows(events):
            if expected_prev is None:
                expected_prev = _archive_hash_before(row["id"])
            if row["prev_hash"] != expected_prev:
                if previous_id is None:
                    reason = _("该事件记录的前一哈希与归档末尾（或链起点）不符：之前的事件可能被删除或篡改。")
                else:
                    reason = _(
                        "该事件记录的前一哈希与上一事件 #%(prev)d 不符：#%(prev)d 可能被篡改（哈希被重算），"
                        "或两者之间的事件被删除。"
                    ) % {"prev": previous_id}
                return ChainReport(checked, row["id"], reason)
            if sm3_hex(_dump(_body(row))) != row["hash"]:
                return ChainReport(checked, row["id"], _("事件内容与其哈希不符：该事件已被篡改。"))
            expected_prev = row["hash"]
            previous_id = row["id"]
            checked += 1
    if head is None:
        if previous_id is not None or AuditArchive.objects.exists():
            return ChainReport(checked, previous_id, _("链头记录缺失：无法确认最新的事件是否被删除。"))
        return ChainReport(0, None, "")
    if expected_prev is None:
        archive = AuditArchive.objects.filter(last_event_id__lte=head.last_event_id).order_by(
            "-last_event_id"
        )
        expected_prev = archive.first().last_hash if archive.exists() else GENESIS_HASH
    if head.last_hash != expected_prev:
        if previous_id == head.last_event_id:
            reason = _("最新事件 #%(id)d 的哈希与链头记录不符：该事件被篡改（哈希被重算）。")
        else:
            reason = _("链尾缺失：链头记录的最新事件 #%(id)d 已不在日志中（最新的事件被删除）。")
        return ChainReport(checked, head.last_event_id, reason % {"id": head.last_event_id})
    return ChainReport(checked, None, "")


# --- archives --------------------------------------------------------------------------------------------


class ArchiveRefused(ServiceError):
    code = "archive_refused"


def archive_dir() -> Path:
    return Path(settings.VAR_DIR) / ARCHIVE_DIR_NAME


def archive_file(archive: AuditArchive) -> Path:
    return archive_dir() / archive.file_path  # an absolute file_path stays absolute


def _archive_line(row: Mapping[str, Any]) -> bytes:
    return (
        json.dumps(
            {**_body(row), "id": row["id"], "hash": row["hash"]},
            sort_keys=True,
            ensure_ascii=False,
            cls=DjangoJSONEncoder,
        ).encode()
        + b"\n"
    )


def _file_sm3(path: Path) -> str:
    digest = hashlib.new("sm3")
    with path.open("rb") as source:
        for block in iter(lambda: source.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory handles
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _expired_range(cutoff: datetime, max_events: int | None) -> tuple[int, int] | None:
    """The first and last id of the oldest contiguous run of events created before `cutoff`.

    Archives must be a prefix of the chain, so an old event that follows a newer one (clock change) waits.
    """
    live = AuditEvent.objects.order_by("id")
    first = live.values_list("id", flat=True).first()
    if first is None:
        return None
    boundary = live.filter(created_at__gte=cutoff).values_list("id", flat=True).first()
    expired = live if boundary is None else live.filter(id__lt=boundary)
    last = expired.values_list("id", flat=True).last()
    if last is not None and max_events:
        nth = list(expired.values_list("id", flat=True)[max_events - 1 : max_events])
        last = nth[0] if nth else last
    return None if last is None else (first, last)


def archive_expired(*, retention_days: int, max_events: int | None = None) -> AuditArchive | None:
    """Move events older than the retention period to a gzip JSON-lines file, in chain order.

    Nothing is ever silently deleted: the events of the range are checked against the chain while they are
    written, the file is synced and its SM3 recorded in an AuditArchive row, and the rows are deleted in the
    same transaction as that row is created. After a crash the rows are still there and a re-run rewrites the
    file of the same range. Returns the new archive, or None when nothing has expired.
    """
    if retention_days < MIN_RETENTION_DAYS:
        raise ArchiveRefused(
            _("审计日志至少保留 %(min)d 天（不少于六个月），不能按 %(days)d 天归档。")
            % {"min": MIN_RETENTION_DAYS, "days": retention_days}
        )
    cutoff = _now() - timedelta(days=retention_days)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # One archiver at a time (the daily job and a manual run may overlap); writers are not blocked.
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(hashtext('jiedao.audit.archive'))")
        id_range = _expired_range(cutoff, max_events)
        if id_range is None:
            return None
        first_id, last_id = id_range
        directory = archive_dir()
        directory.mkdir(parents=True, exist_ok=True)
        name = f"audit-{first_id:012d}-{last_id:012d}.jsonl.gz"
        path = directory / name
        temporary = directory / f".{name}.{uuid.uuid4().hex}.tmp"
        try:
            count, last_hash = _write_archive(temporary, first_id, last_id)
            os.replace(temporary, path)  # a re-run after a crash rewrites the same range's file
        finally:
            temporary.unlink(missing_ok=True)
        _fsync_dir(directory)
        archive = AuditArchive.objects.create(
            first_event_id=first_id,
            last_event_id=last_id,
            event_count=count,
            last_hash=last_hash,
            file_path=name,
            file_sm3=_file_sm3(path),
        )
        # The only removal of audit rows: after they are in the synced file, with the archive row.
        with archiving_deletes():
            deleted = AuditEvent.objects.filter(id__gte=first_id, id__lte=last_id)._raw_delete(
                connection.alias
            )
        if deleted != count:
            raise ArchiveRefused(
                _("归档时事件数不一致（写入 %(w)d 条，删除 %(d)d 条），已回滚。") % {"w": count, "d": deleted}
            )
        from jiedao.audit.audit_events import AUDIT_ARCHIVED

        record(
            AUDIT_ARCHIVED,
            actor_name=SYSTEM_ACTOR,
            message=_("归档事件 #%(a)d–#%(b)d，共 %(n)d 条，保留 %(days)d 天。")
            % {"a": first_id, "b": last_id, "n": count, "days": retention_days},
            after={
                "first_event_id": first_id,
                "last_event_id": last_id,
                "event_count": count,
                "file": name,
                "file_sm3": archive.file_sm3,
                "retention_days": retention_days,
            },
        )
    return archive


def _write_archive(path: Path, first_id: int, last_id: int) -> tuple[int, str]:
    """Write the events of the range, checking each against the chain; return the count and the last hash."""
    expected_prev = _archive_hash_before(first_id)
    count = 0
    events = AuditEvent.objects.filter(id__gte=first_id, id__lte=last_id).order_by("id")
    with path.open("wb") as raw:
        # Deterministic gzip (no name, no time in the header): the same range always gives the same file.
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as out:
            for row in _rows(events):
                if row["prev_hash"] != expected_prev or sm3_hex(_dump(_body(row))) != row["hash"]:
                    raise ArchiveRefused(
                        _("事件 #%(id)d 未通过审计链校验，拒绝归档。请先运行审计链校验并调查。")
                        % {"id": row["id"]}
                    )
                out.write(_archive_line(row))
                expected_prev = row["hash"]
                count += 1
        raw.flush()
        os.fsync(raw.fileno())
    return count, expected_prev


@dataclass(frozen=True)
class ArchiveProblem:
    archive_id: int
    first_event_id: int
    last_event_id: int
    file_path: str
    reason: str


@dataclass
class ArchivesReport:
    checked: int = 0
    problems: list[ArchiveProblem] = field(default_factory=list)
    unregistered_files: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def summary(self) -> str:
        if self.ok:
            return _("归档文件完好，共 %(n)d 个。") % {"n": self.checked}
        return "；".join(
            _("归档 #%(a)d–#%(b)d（%(file)s）：%(reason)s")
            % {"a": p.first_event_id, "b": p.last_event_id, "file": p.file_path, "reason": p.reason}
            for p in self.problems
        )


def verify_archives(*, deep: bool = False) -> ArchivesReport:
    """Check that every archive file still exists and still has the SM3 recorded when it was written.

    With `deep`, also read each file and check every event's hash, the links between them, the link to the
    previous archive, and the count and last hash recorded in the archive row.
    """
    report = ArchivesReport()
    previous: AuditArchive | None = None
    registered = set()
    for archive in AuditArchive.objects.order_by("first_event_id"):
        report.checked += 1
        path = archive_file(archive)
        registered.add(path.name)
        problem = _check_archive(archive, path, previous, deep=deep)
        if problem:
            report.problems.append(
                ArchiveProblem(
                    archive.pk, archive.first_event_id, archive.last_event_id, archive.file_path, problem
                )
            )
        previous = archive
    directory = archive_dir()
    if directory.is_dir():
        report.unregistered_files = sorted(
            p.name for p in directory.glob("audit-*.jsonl.gz") if p.name not in registered
        )
    return report


def _check_archive(archive: AuditArchive, path: Path, previous: AuditArchive | None, *, deep: bool) -> str:
    if previous is not None and archive.first_event_id <= previous.last_event_id:
        return _("与上一归档的事件范围重叠。")
    if not path.is_file():
        return _("归档文件缺失。")
    if _file_sm3(path) != archive.file_sm3:
        return _("归档文件的 SM3 与登记值不符：文件已被修改或损坏。")
    if not deep:
        return ""
    expected_prev = previous.last_hash if previous else GENESIS_HASH
    count = 0
    last_id = None
    try:
        with gzip.open(path, "rb") as source:
            for line in source:
                data = json.loads(line)
                event_id, stored_hash = data.pop("id"), data.pop("hash")
                if data["prev"] != expected_prev:
                    return _("文件内事件 #%(id)d 的前一哈希不符。") % {"id": event_id}
                if sm3_hex(_dump(data)) != stored_hash:
                    return _("文件内事件 #%(id)d 的内容与哈希不符。") % {"id": event_id}
                expected_prev, last_id = stored_hash, event_id
                count += 1
    except (OSError, EOFError, ValueError, KeyError):
        return _("归档文件无法读取或格式错误。")
    if count != archive.event_count or expected_prev != archive.last_hash or last_id != archive.last_event_id:
        return _("文件内事件数或最后哈希与登记值不符。")
    return ""
