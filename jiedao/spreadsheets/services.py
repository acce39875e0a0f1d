"""Import jobs: start (check, store, enqueue), run (stream, validate, save in batches, resume), cancel, resume;
the error workbook and the template workbook.

A run commits each batch in one transaction together with the job's counters and `resume_after_row`, so a
worker killed mid-file leaves a job that resumes after its last committed row. Only one run at a time owns a
job: each run takes a fresh `run_token` and checks it under a row lock before every commit, so a superseded
run (the old worker woke up after the job was resumed) stops without writing. Memory stays flat with file
size: rows are streamed, errors go to the database with their batch, and duplicate detection keeps 8-byte
digests of the natural keys in flat arrays.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import logging
import os
import tempfile
import uuid
from array import array
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager, nullcontext, suppress
from datetime import date, datetime, time, timedelta
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from time import monotonic
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiedao.audit import services as audit
from jiedao.core import crypto
from jiedao.core.exceptions import ServiceError, ValidationFailed
from jiedao.core.i18n import records_language
from jiedao.core.maintenance import optimize_database
from jiedao.core.scope import require
from jiedao.core.tasks import enqueue_on_commit
from jiedao.spreadsheets import audit_events as events
from jiedao.spreadsheets.exporters import SheetWriter, neutralise, unneutralise, workbook_options
from jiedao.spreadsheets.models import ImportJob, ImportRowError, ImportStatus
from jiedao.spreadsheets.readers import (
    HeaderNotFound,
    Limits,
    RowSource,
    UnreadableFile,
    column_letter,
    data_sheet,
    detect_header,
    merged_header_row,
    open_rows,
    too_large,
)
from jiedao.spreadsheets.specs import ImportContext, ImportSpec, RowIssue, ValidatedRow, find_spec, get_spec

logger = logging.getLogger(__name__)

IMPORTS_DIR = "imports"
WORK_DIR = "work"
VALUE_LIMIT = 200
MESSAGE_LIMIT = 300
# A running job whose progress has not moved for this long may be resumed by hand (its worker is gone).
STALE_AFTER = timedelta(minutes=5)
UPLOAD_CHUNK = 1024 * 1024
# A batch holds the database's write lock while it is saved. On SQLite every other writer (a login, any form)
# waits at most its busy timeout (10 s) and then fails with “database is locked”: re-importing 50,000 persons
# (all updates) took 14 s a batch of 5,000 on a busy server. A batch that takes longer than this makes the next
# ones smaller (down to MIN_BATCH rows); quick batches let them grow back to the spec's `batch_size`.
BATCH_LOCK_BUDGET = 2.0  # seconds
MIN_BATCH = 100
FIRST_BATCH = 500  # the first batch is small too: how long a batch of this import takes is not known yet


def max_stored_issues() -> int:
    return int(getattr(settings, "JIEDAO_IMPORT_MAX_STORED_ERRORS", 100_000))


def file_retention_days() -> int:
    return int(getattr(settings, "JIEDAO_IMPORT_FILE_RETENTION_DAYS", 30))


def imports_root() -> Path:
    return Path(settings.MEDIA_ROOT) / IMPORTS_DIR


def working_dir() -> Path:
    """Plaintext copies of uploads while they are checked or read (the stored uploads are encrypted)."""
    directory = imports_root() / WORK_DIR
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def job_file(job: ImportJob) -> Path:
    """The stored upload of a job; refuses a stored name that would leave the imports directory."""
    root = imports_root().resolve()
    if not job.stored_file:
        raise UnreadableFile(_("导入文件已被清理，无法继续导入。请重新上传。"))
    path = (root / job.stored_file).resolve()
    if root not in path.parents:
        raise UnreadableFile(_("导入文件路径无效。"))
    return path


# --- duplicate detection ---------------------------------------------------------------------------------


class DigestIndex:
    """Natural key → row number of its first occurrence, for millions of rows in little memory.

    Keys are reduced to 64-bit BLAKE2b digests (a false “duplicate” needs a collision: about 3 in 10⁸ for a
    million rows) kept in an open-addressing table of two flat arrays: 12 bytes per slot, at most half full,
    so about 24–48 MB for a million rows instead of ~150 MB for a dict of the key strings.
    """

    def __init__(self, capacity: int = 1024):
        capacity = max(8, 1 << (capacity - 1).bit_length())
        self._digests = array("Q", bytes(8 * capacity))
        self._rows = array("I", bytes(4 * capacity))
        self._mask = capacity - 1
        self._size = 0

    def __len__(self) -> int:
        return self._size

    @staticmethod
    def digest(key: str) -> int:
        value = int.from_bytes(
            hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little"
        )
        return value or 1  # 0 marks an empty slot

    def first_row(self, key: str, row_number: int) -> int | None:
        """The row where `key` was first seen, or None after remembering it at `row_number`."""
        digest = self.digest(key)
        digests, mask = self._digests, self._mask
        slot = digest & mask
        while True:
            found = digests[slot]
            if found == 0:
                break
            if found == digest:
                return self._rows[slot]
            slot = (slot + 1) & mask
        digests[slot] = digest
        self._rows[slot] = row_number
        self._size += 1
        if self._size * 2 > mask + 1:
            self._grow()
        return None

    def _grow(self) -> None:
        old_digests, old_rows = self._digests, self._rows
        capacity = (self._mask + 1) * 2
        self._digests = array("Q", bytes(8 * capacity))
        self._rows = array("I", bytes(4 * capacity))
        self._mask = capacity - 1
        digests, rows, mask = self._digests, self._rows, self._mask
        for index, digest in enumerate(old_digests):
            if digest:
                slot = digest & mask
                while digests[slot]:
                    slot = (slot + 1) & mask
                digests[slot] = digest
                rows[slot] = old_rows[index]

    @property
    def nbytes(self) -> int:
        return self._digests.itemsize * len(self._digests) + self._rows.itemsize * len(self._rows)


# --- starting a job ------------------------------------------------------------------------------------------


def _safe_name(name: str) -> str:
    name = os.path.basename((name or "").replace("\\", "/")).strip().replace("\x00", "")
    return name[:255] or _("未命名文件")


def _store_upload(uploaded_file, limits: Limits) -> tuple[Path, str]:
    """Copy the upload to a plaintext working file (to be checked, then encrypted by `_encrypt_upload`),
    counting bytes as they come. Returns the file and the SHA-256 of its content (hex)."""
    partial = working_dir() / f"{uuid.uuid4().hex}.partial"
    written = 0
    digest = hashlib.sha256()
    try:
        with partial.open("wb") as target:
            for chunk in uploaded_file.chunks(UPLOAD_CHUNK):
                written += len(chunk)
                if written > limits.max_upload_bytes:
                    raise too_large(limits.max_upload_bytes)
                digest.update(chunk)
                target.write(chunk)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return partial, digest.hexdigest()


def _encrypt_upload(partial: Path, file_format: str) -> tuple[Path, int]:
    """Encrypt a checked upload into the month's directory (it holds personal data, kept for resuming until
    `purge_expired_files`); remove the plaintext. Returns the stored path and the upload's size."""
    directory = imports_root() / timezone.localdate().strftime("%Y/%m")
    directory.mkdir(parents=True, exist_ok=True)
    stored = directory / f"{partial.name.removesuffix('.partial')}.{file_format}"
    writing = stored.with_name(f".{stored.name}.writing")
    try:
        with partial.open("rb") as source, writing.open("wb") as target:
            size = crypto.encrypt_stream(iter(lambda: source.read(crypto.FILE_CHUNK), b""), target)
        os.replace(writing, stored)
    finally:
        writing.unlink(missing_ok=True)
        partial.unlink(missing_ok=True)
    return stored, size


def _run_copy_prefix(job: ImportJob) -> str:
    return f"job{job.pk}-run-"


@contextmanager
def working_copy(job: ImportJob, *, for_run: bool = False) -> Iterator[Path]:
    """The job's upload as a plaintext file for the readers, removed afterwards. An upload stored before
    uploads were encrypted is read where it is.

    A worker killed while importing (`kill -9`, out of memory) cannot remove its copy: `for_run` names the copy
    after the job, and the next run of the job (it holds the job's new run token, so the earlier run is dead
    or superseded) removes what earlier runs left, instead of leaving the personal data on disk until the
    daily purge."""
    stored = job_file(job)
    if for_run:
        for leftover in working_dir().glob(f"{_run_copy_prefix(job)}*"):
            leftover.unlink(missing_ok=True)
    try:
        source = stored.open("rb")
    except OSError as error:
        raise UnreadableFile(_("导入文件已不存在或无法读取。")) from error
    with source:
        if not crypto.is_encrypted_bytes(source.read(len(crypto.FILE_MAGIC))):
            yield stored
            return
        prefix = _run_copy_prefix(job) if for_run else ""
        plain = working_dir() / f"{prefix}{uuid.uuid4().hex}.{job.file_format or 'xlsx'}"
        try:
            with plain.open("wb") as target:
                try:
                    crypto.decrypt_stream(source, target)
                except crypto.DecryptionError as error:
                    logger.error("stored upload of import job %s cannot be decrypted: %s", job.pk, error)
                    raise UnreadableFile(
                        _("导入文件无法解密（密钥已更换或文件损坏）。请重新上传。")
                    ) from None
            yield plain
        finally:
            plain.unlink(missing_ok=True)


def rewrite_stored_uploads() -> int:
    """Encrypt stored uploads kept in plaintext, and re-encrypt the others under the newest key (key
    rotation); returns how many files were rewritten."""
    rewritten = 0
    for job in ImportJob.objects.exclude(stored_file="").only("pk", "stored_file", "file_format").iterator():
        try:
            stored = job_file(job)
            with stored.open("rb") as source:
                head = source.read(len(crypto.FILE_MAGIC) + 8)
        except (UnreadableFile, OSError):
            continue
        if crypto.is_encrypted_bytes(head) and crypto.bytes_key_is_current(head):
            continue
        with working_copy(job) as plain, plain.open("rb") as source:
            writing = stored.with_name(f".{stored.name}.rotating")
            with writing.open("wb") as target:
                crypto.encrypt_stream(iter(lambda: source.read(crypto.FILE_CHUNK), b""), target)
            os.replace(writing, stored)  # atomic: a crash leaves the old file or the new one
        rewritten += 1
    return rewritten


NO_ROWS_LOOKAHEAD = 1000  # blank (formatted) rows under a header before deciding a file holds no data


def inspect_file(path: Path, spec: ImportSpec, limits: Limits | None = None) -> tuple[str, int, int | None]:
    """Check that a stored upload can be read and has the spec's header: (format, header row, data rows if
    known). Reads only the first rows (an .xlsx with the streaming reader, whatever its size); a workbook with
    the header on more than one sheet is refused (`data_sheet`)."""
    sheet = data_sheet(path, spec, limits, refuse_several=True)
    with open_rows(path, engine="stream", limits=limits, sheet=sheet, fill_merged=False) as source:
        header = detect_header(source, spec)
        total = source.total_rows
        # Nothing under the header (the rows read past it, and the next ones, all blank): refused, or the job
        # would "finish" having done nothing. Read rather than trusted to the sheet's stated size.
        if not any(header.buffered) and not any(itertools.islice(source, NO_ROWS_LOOKAHEAD)):
            raise UnreadableFile(_("表头下面没有数据行。请检查是否选错了文件；只读取第一个工作表。"))
        return source.format, header.header_row, (max(0, total - header.header_row) if total else None)


def import_start(*, actor, spec_key: str, org, uploaded_file) -> ImportJob:
    """Check and store an uploaded spreadsheet and queue its import into `org`.

    Refused at once, with nothing stored, when the actor may not import this kind of record into `org`, the
    file is too large, is not a readable spreadsheet (or looks like a zip bomb), or lacks a required column.
    """
    spec = get_spec(spec_key)
    require(actor, spec.permission, org)
    if not org.is_active or org.level not in spec.org_levels:
        raise ValidationFailed(
            {"org": [_("“%(org)s”不能作为%(label)s的导入目标。") % {"org": org.name, "label": spec.label}]}
        )
    limits = Limits.from_settings()
    size = getattr(uploaded_file, "size", None)
    if size is not None and size > limits.max_upload_bytes:
        raise ValidationFailed(
            {"file": [str(too_large(limits.max_upload_bytes).message)]}, code="file_too_large"
        )
    if size == 0:
        raise ValidationFailed({"file": [_("文件是空的。")]}, code="unreadable_file")
    try:
        partial, digest = _store_upload(uploaded_file, limits)
    except UnreadableFile as error:
        raise ValidationFailed({"file": [str(error.message)]}, code=error.code) from None
    try:
        _refuse_running_duplicate(spec, org, digest)
    except ValidationFailed:
        partial.unlink(missing_ok=True)
        raise
    try:
        file_format, header_row, total = inspect_file(partial, spec, limits)
    except (UnreadableFile, HeaderNotFound) as error:
        partial.unlink(missing_ok=True)
        raise ValidationFailed({"file": [str(error.message)]}, code=error.code) from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    stored, size = _encrypt_upload(partial, file_format)
    try:
        with transaction.atomic():
            job = ImportJob.objects.create(
                org=org,
                created_by=actor,
                spec_key=spec.key,
                original_name=_safe_name(uploaded_file.name),
                stored_file=stored.relative_to(imports_root()).as_posix(),
                file_format=file_format,
                file_size=size,
                file_digest=digest,
                header_row=header_row,
                total_rows=total,
            )
            with records_language():
                audit.record(
                    events.IMPORT_STARTED,
                    actor=actor,
                    target=job,
                    message=_("上传“%(name)s”导入%(label)s")
                    % {"name": job.original_name, "label": spec.label},
                    after={
                        "spec": spec.key,
                        "file": job.original_name,
                        "size": job.file_size,
                        "format": file_format,
                    },
                )
            _enqueue(job)
    except BaseException:
        stored.unlink(missing_ok=True)
        raise
    return job


def _refuse_running_duplicate(spec: ImportSpec, org, digest: str) -> None:
    """The same file of the same kind into the same org while its import is queued or running (a second
    click on 导入, or two clerks with one roster): refused, naming the job to follow. Two uploads closer
    together than one commit both pass; their batches are serialised (`ImportSpec.batch_lock`)."""
    running = (
        ImportJob.objects.filter(
            spec_key=spec.key,
            org=org,
            file_digest=digest,
            status__in=(ImportStatus.PENDING, ImportStatus.RUNNING),
        )
        .order_by("pk")
        .first()
    )
    if running is not None:
        raise ValidationFailed(
            {"file": [_("该文件正在导入（任务 #%(job)d），请勿重复导入。") % {"job": running.pk}]},
            code="already_importing",
        )


def _enqueue(job: ImportJob) -> None:
    from jiedao.spreadsheets.tasks import run_import

    enqueue_on_commit(run_import, job.pk)


def _check_control(actor, job: ImportJob) -> ImportSpec:
    spec = get_spec(job.spec_key)
    require(actor, spec.permission, job)
    return spec


def import_cancel(*, actor, job: ImportJob) -> ImportJob:
    """Stop a job. Batches already committed stay imported; a running worker stops before its next commit."""
    _check_control(actor, job)
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.status in (ImportStatus.DONE, ImportStatus.CANCELLED):
            raise ServiceError(_("任务已结束，无法取消。"), code="finished")
        now = timezone.now()
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportStatus.CANCELLED, finished_at=now, updated_at=now
        )
        with records_language():
            audit.record(
                events.IMPORT_CANCELLED,
                actor=actor,
                target=locked,
                message=_("已提交至第 %(row)d 行") % {"row": locked.resume_after_row},
            )
    job.refresh_from_db()
    return job


def can_resume(job: ImportJob, now: datetime | None = None) -> bool:
    if job.status == ImportStatus.FAILED:
        return bool(job.stored_file)
    if job.status in (ImportStatus.RUNNING, ImportStatus.PENDING):
        return bool(job.stored_file) and (now or timezone.now()) - job.updated_at > STALE_AFTER
    return False


def is_stalled(job: ImportJob) -> bool:
    """Queued or running, but its worker has made no progress for STALE_AFTER: it may be resumed by hand."""
    return job.is_active and can_resume(job)


def import_resume(*, actor, job: ImportJob) -> ImportJob:
    """Queue a failed job (or one whose worker died) again; it continues after its last committed row."""
    _check_control(actor, job)
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if not can_resume(locked):
            raise ServiceError(_("只有失败或长时间无进展的任务可以继续导入。"), code="not_resumable")
        # Back to the queue: a worker of the old run that is still alive sees the change and stops.
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportStatus.PENDING, failure_message="", finished_at=None, updated_at=timezone.now()
        )
        with records_language():
            audit.record(
                events.IMPORT_RESUMED,
                actor=actor,
                target=locked,
                message=_("从第 %(row)d 行之后继续")
                % {"row": max(locked.resume_after_row, locked.header_row)},
            )
        _enqueue(locked)
    job.refresh_from_db()
    return job


# --- running a job ---------------------------------------------------------------------------------------


class _Superseded(Exception):
    """Another run owns the job now (it was resumed), or the job was cancelled: stop without writing."""


def _display(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value).replace("\x00", "")


def _messages(error: ValidationError | ValidationFailed) -> list[str]:
    if isinstance(error, ValidationFailed):
        return [str(message) for messages in error.errors.values() for message in messages]
    return [str(message) for message in error.messages]


class ImportRun:
    """One pass of `import_run` over a job's file."""

    def __init__(self, job: ImportJob, spec: ImportSpec, token: str):
        self.job = job
        self.spec = spec
        self.token = token
        self.context = ImportContext(job=job, spec=spec, org=job.org, actor=job.created_by)
        self.keys = DigestIndex()
        self.issue_budget = max(0, max_stored_issues() - job.issue_count)
        self.pending_rows: list[ValidatedRow] = []
        self.pending_issues: list[ImportRowError] = []
        self.processed = self.error_rows = self.examples = 0
        self.template_examples = spec.template_examples()
        self.batch_limit = min(spec.batch_size, FIRST_BATCH)
        self.last_row = 0
        self.first_row = 0
        self.header = None
        required = [column.key for column in spec.columns if column.required]
        self.required = required
        key_labels = [spec.header_of(key) for key in spec.natural_key_columns]
        self.key_label = "、".join(label for label in key_labels if label)

    # the loop

    def execute(self) -> dict[str, Any]:
        job, spec = self.job, self.spec
        with (
            working_copy(job, for_run=True) as path,
            open_rows(path, sheet=data_sheet(path, spec)) as source,
        ):
            header = self.header = detect_header(source, spec)
            total = max(0, source.total_rows - header.header_row) if source.total_rows else None
            self._commit_state(header_row=header.header_row, total_rows=total)
            resume_after = job.resume_after_row
            spec.begin(self.context)
            columns = list(header.columns.items())
            for number, cells in header.data_rows(source):
                width = len(cells)
                # unneutralise: a cell "'=…" written by our own exports and error reports reads as "=…"
                values = {
                    key: (unneutralise(cells[index]) if index < width else None) for index, key in columns
                }
                if all(value is None for value in values.values()):
                    continue
                if spec.is_template_example(values, self.template_examples):
                    # the template's grey example row left in: skipped and counted, neither imported nor an error
                    if number > resume_after:
                        self.examples += 1
                        self.last_row = number
                    continue
                if number <= resume_after:
                    self._remember(number, values)
                    continue
                self._process(number, values)
                if self.processed >= self.batch_limit:
                    self._flush()
            self._flush()
        return self._finish()

    def _check_row(self, number: int, values: dict[str, Any]) -> ValidatedRow | list[RowIssue]:
        missing = [key for key in self.required if values.get(key) is None]
        if missing:
            return [
                RowIssue(_("必填项“%(column)s”为空") % {"column": self.spec.header_of(key)}, key)
                for key in missing
            ]
        try:
            outcome = self.spec.validate_row(values, self.context)
        except (ValidationError, ValidationFailed) as error:
            return [RowIssue(message) for message in _messages(error)]
        if isinstance(outcome, ValidatedRow):
            outcome.row_number = number
        return outcome

    def _remember(self, number: int, values: dict[str, Any]) -> None:
        """A row committed by an earlier run: only its natural key matters, for the duplicate check."""
        outcome = self._check_row(number, values)
        if isinstance(outcome, ValidatedRow):
            key = self.spec.natural_key(outcome)
            if key:
                self.keys.first_row(key, number)

    def _process(self, number: int, values: dict[str, Any]) -> None:
        self.processed += 1
        self.last_row = number
        outcome = self._check_row(number, values)
        if isinstance(outcome, ValidatedRow):
            key = self.spec.natural_key(outcome)
            first = self.keys.first_row(key, number) if key else None
            if first is None:
                self.pending_rows.append(outcome)
                return
            self.error_rows += 1
            self._record_duplicate(number, key, first)
            return
        self.error_rows += 1
        for issue in outcome or [RowIssue(_("该行数据无效"))]:
            key = issue.column
            value = issue.value if issue.value is not None else (values.get(key) if key else None)
            index = self.header.column_of(key) if key else None
            self._record_issue(number, self.spec.header_of(key) or (key or ""), index, value, issue.message)

    def _record_rejected(self) -> None:
        """Rows `save_batch` refused through `context.reject()`: errors of this batch like any other."""
        rows = set()
        for row, issue in self.context.rejected:
            rows.add(row.row_number)
            key = issue.column
            index = self.header.column_of(key) if key else None
            label = self.spec.header_of(key) or (key or "")
            self._record_issue(row.row_number, label, index, issue.value, issue.message)
        self.error_rows += len(rows)
        self.context.rejected.clear()

    def _record_duplicate(self, number: int, key: str, first: int) -> None:
        key_columns = self.spec.natural_key_columns
        index = self.header.column_of(key_columns[0]) if len(key_columns) == 1 else None
        self._record_issue(number, self.key_label, index, key, _("与第 %(row)d 行重复") % {"row": first})

    def _record_issue(self, number: int, label: str, index: int | None, value: Any, message) -> None:
        if self.issue_budget <= 0:
            return
        self.issue_budget -= 1
        self.pending_issues.append(
            ImportRowError(
                job_id=self.job.pk,
                row_number=number,
                column=label[:100],
                column_letter=column_letter(index) if index is not None else "",
                value=_display(value)[:VALUE_LIMIT],
                message=str(message)[:MESSAGE_LIMIT],
            )
        )

    # committing

    def _locked_job(self) -> ImportJob:
        locked = ImportJob.objects.select_for_update().only("status", "run_token").get(pk=self.job.pk)
        if locked.run_token != self.token or locked.status != ImportStatus.RUNNING:
            raise _Superseded()
        return locked

    def _commit_state(self, **fields) -> None:
        with transaction.atomic():
            self._locked_job()
            ImportJob.objects.filter(pk=self.job.pk).update(updated_at=timezone.now(), **fields)
        for name, value in fields.items():
            setattr(self.job, name, value)

    def _flush(self) -> None:
        if not self.processed and not self.examples:
            return
        started = monotonic()
        with transaction.atomic():
            self._locked_job()
            created = updated = 0
            self.context.rejected.clear()
            if self.pending_rows:
                self._serialise_batch()
                created, updated = self.spec.save_batch(self.pending_rows, self.context)
                self._record_rejected()
            if self.pending_issues:
                ImportRowError.objects.bulk_create(self.pending_issues, batch_size=500)
            ImportJob.objects.filter(pk=self.job.pk).update(
                rows_processed=F("rows_processed") + self.processed,
                created_count=F("created_count") + created,
                updated_count=F("updated_count") + updated,
                error_count=F("error_count") + self.error_rows,
                issue_count=F("issue_count") + len(self.pending_issues),
                example_count=F("example_count") + self.examples,
                resume_after_row=self.last_row,
                updated_at=timezone.now(),
            )
        self.job.resume_after_row = self.last_row
        self.pending_rows, self.pending_issues = [], []
        self.processed = self.error_rows = self.examples = 0
        self._adapt_batch(monotonic() - started)

    def _serialise_batch(self) -> None:
        """Wait for any other batch holding the spec's batch lock (see `ImportSpec.batch_lock`); one query per
        batch, never per row."""
        key = self.spec.batch_lock(self.context)
        if key is not None and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", list(key))

    def _adapt_batch(self, seconds: float) -> None:
        """Keep the write lock of a batch within BATCH_LOCK_BUDGET, so that other users' saves do not time out."""
        if seconds > BATCH_LOCK_BUDGET:
            smallest = min(MIN_BATCH, self.spec.batch_size)
            self.batch_limit = max(smallest, int(self.batch_limit * BATCH_LOCK_BUDGET / seconds))
        elif seconds < BATCH_LOCK_BUDGET / 4:
            self.batch_limit = min(self.spec.batch_size, self.batch_limit * 2)

    def _finish(self) -> dict[str, Any]:
        with transaction.atomic():
            self._locked_job()
            self.spec.finish(self.context)
            now = timezone.now()
            ImportJob.objects.filter(pk=self.job.pk).update(
                status=ImportStatus.DONE, finished_at=now, updated_at=now, failure_message=""
            )
            job = ImportJob.objects.get(pk=self.job.pk)
            summary = {
                "rows": job.rows_processed,
                "created": job.created_count,
                "updated": job.updated_count,
                "errors": job.error_count,
                "examples": job.example_count,
            }
            audit.record(
                events.IMPORT_FINISHED,
                actor=job.created_by,
                target=job,
                message=_("处理 %(rows)d 行：新增 %(created)d，更新 %(updated)d，错误 %(errors)d") % summary,
                after=summary,
            )
        # A large import changes the tables' statistics; let the query planner catch up.
        optimize_database(tables=self.spec.tables)
        return {"status": ImportStatus.DONE, **summary}


def import_run(job_id: int) -> dict[str, Any]:
    """The task body: import (or resume) one job. Safe to call again on a failed, stale or even finished
    job: a finished or cancelled job is left alone; a failed or running one resumes after its last committed
    row (and a restart from row one would only update what is there, the saves being upserts)."""
    token = uuid.uuid4().hex
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None:
            return {"status": "missing"}
        if job.status in (ImportStatus.DONE, ImportStatus.CANCELLED):
            return {"status": job.status}
        now = timezone.now()
        job.status, job.run_token, job.failure_message = ImportStatus.RUNNING, token, ""
        job.started_at = job.started_at or now
        job.save(update_fields=["status", "run_token", "failure_message", "started_at", "updated_at"])
    job = ImportJob.objects.select_related("org", "created_by").get(pk=job_id)
    run = None
    try:
        run = ImportRun(job, get_spec(job.spec_key), token)
        return run.execute()
    except _Superseded:
        return {"status": "stopped"}
    except (UnreadableFile, HeaderNotFound) as error:
        return _fail(job, token, str(error.message))
    except ServiceError as error:
        logger.warning("import job %s refused: %s", job_id, error.message)
        return _fail(job, token, str(error.message))
    except Exception as error:
        # The exception's text is for the log only: a database's message is English and may show stored values
        # (a blind index, a personal number), none of which the user can act on.
        logger.exception("import job %s failed: %s", job_id, error.__class__.__name__)
        rows = ""
        if run is not None and run.last_row:
            rows = _("（处理至第 %(row)d 行附近）") % {"row": run.last_row}
        message = _(
            "导入出错%(rows)s。已提交的批次保留，可点击“继续导入”从中断处继续；仍然出错请联系系统管理员。"
        ) % {"rows": rows}
        return _fail(job, token, message)


def _fail(job: ImportJob, token: str, message: str) -> dict[str, Any]:
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().filter(pk=job.pk).first()
        if locked is None or locked.run_token != token or locked.status != ImportStatus.RUNNING:
            return {"status": "superseded"}
        now = timezone.now()
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportStatus.FAILED, failure_message=message, finished_at=now, updated_at=now
        )
        audit.record(
            events.IMPORT_FAILED, actor=locked.created_by, target=locked, success=False, message=message
        )
    return {"status": ImportStatus.FAILED, "message": message}


# --- workbooks -------------------------------------------------------------------------------------------


def _streaming():
    """PostgreSQL streams `.iterator()` through a server-side cursor only inside a transaction."""
    return transaction.atomic() if connection.vendor == "postgresql" else nullcontext()


ERROR_HEADERS = (
    gettext_lazy("行号"),
    gettext_lazy("列号"),
    gettext_lazy("列名"),
    gettext_lazy("单元格内容"),
    gettext_lazy("错误原因"),
)


REASONS_HEADER = gettext_lazy("错误原因")


def error_workbook(job: ImportJob, path: str | Path | None = None) -> Path:
    """Write the job's error report to an .xlsx (a temporary file unless `path` is given); return its path.

    First sheet 待修正数据: the upload's header row, then each refused row as it was uploaded, with a last
    column 错误原因 joining that row's reasons — corrected, the file can be imported again (the importer
    ignores columns it does not know). Second sheet 错误明细: one line per error (row, column, cell, reason).
    Both stream: the upload is read (decrypted to a working copy, streaming reader) only up to the last
    refused row, the errors from the database. When the upload is no longer kept only 错误明细 is written,
    under a note saying so. Every cell from the upload is written as text, neutralised."""
    import xlsxwriter

    if path is None:
        descriptor, name = tempfile.mkstemp(suffix=".xlsx", prefix=f"import-{job.pk}-errors-")
        os.close(descriptor)
        path = name
    rows = (
        ImportRowError.objects.filter(job=job)
        .order_by("row_number", "id")
        .values_list("row_number", "column_letter", "column", "value", "message")
    )
    with _streaming():
        workbook = xlsxwriter.Workbook(os.fspath(path), workbook_options())
        try:
            note = ""
            with _upload_rows(job) as source:
                if source is None:
                    note = _("原导入文件已不再保存，无法列出待修正的原始数据；以下为错误明细。")
                elif job.header_row:
                    _write_refused_rows(workbook, job, source)
            writer = SheetWriter(
                workbook,
                [str(header) for header in ERROR_HEADERS],
                sheet_name=_("错误明细"),
                text_columns=(3,),
                widths=(8, 8, 16, 30, 50),
                note=note,
            )
            for values in rows.iterator(chunk_size=2000):
                writer.write_row(values)
            writer.finish()
        finally:
            workbook.close()
    return Path(path)


@contextmanager
def _upload_rows(job: ImportJob) -> Iterator[RowSource | None]:
    """The rows of the job's stored upload (streaming reader), or None when it is purged or unreadable."""
    with ExitStack() as stack:
        try:
            plain = stack.enter_context(working_copy(job))
            spec = find_spec(job.spec_key)
            sheet = data_sheet(plain, spec) if spec is not None else None
            source = stack.enter_context(open_rows(plain, engine="stream", sheet=sheet))
        except (UnreadableFile, HeaderNotFound, OSError):
            source = None
        yield source


def _joined_reasons(errors: Iterable[tuple[int, str, str]]) -> str:
    """A refused row's reasons in one cell: “身份证号：…；联系电话：…。”, not “…号码。；联系电话：…”."""
    parts = [(f"{column}：{message}" if column else message).rstrip("。") for _n, column, message in errors]
    return "；".join(parts) + "。"


def _write_refused_rows(workbook, job: ImportJob, source: RowSource) -> None:
    """The 待修正数据 sheet: the header row (cells merged down from a group header row filled in), then
    each refused row's cells with its reasons; reads the upload only up to the last refused row."""
    refused = ImportRowError.objects.filter(job=job, row_number__gt=job.header_row)
    last = refused.aggregate(last=Max("row_number"))["last"] or 0
    reasons = (
        (number, _joined_reasons(group))
        for number, group in groupby(
            refused.order_by("row_number", "id")
            .values_list("row_number", "column", "message")
            .iterator(chunk_size=2000),
            key=itemgetter(0),
        )
    )
    writer = None
    width = 0
    above: list = []
    pending = next(reasons, None)
    try:
        for number, cells in enumerate(source, start=1):
            if number < job.header_row:
                above = cells
                continue
            if number == job.header_row:
                header = [_cell_text(cell) or "" for cell in merged_header_row(above, cells)]
                width = len(header)
                writer = SheetWriter(
                    workbook,
                    [*header, str(REASONS_HEADER)],
                    sheet_name=_("待修正数据"),
                    text_columns=range(width + 1),
                    widths=[16] * width + [60],
                )
                writer.finish()  # the sheet and its header, even when no row follows
                if number >= last:
                    break
                continue
            while pending is not None and pending[0] < number:
                pending = next(reasons, None)
            if pending is not None and pending[0] == number:
                texts = [_cell_text(cell) for cell in cells[:width]]
                writer.write_row([*texts, *([None] * (width - len(texts))), pending[1]])
                pending = next(reasons, None)
            if number >= last:
                break
    except UnreadableFile:
        logger.warning("upload of import job %s became unreadable while writing its error report", job.pk)


def _cell_text(value: Any) -> str | None:
    """A cell as read from the upload, as the text a clerk would have typed: whole numbers without ".0",
    dates without a time of day."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return format(value, ".15g")
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def template_workbook(spec: ImportSpec) -> bytes:
    """The downloadable template: a notes row, the header row (required columns marked with * and in red,
    each header with a comment holding its help and example), example rows, identifier columns formatted
    as text so that Excel keeps every digit."""
    import xlsxwriter

    output = io.BytesIO()
    options = {**workbook_options(), "constant_memory": False, "in_memory": True}
    workbook = xlsxwriter.Workbook(output, options)
    sheet = workbook.add_worksheet(str(spec.label)[:31] or "Sheet1")
    notes_format = workbook.add_format(
        {"italic": True, "font_color": "#595959", "text_wrap": True, "valign": "top"}
    )
    header_format = workbook.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1})
    required_format = workbook.add_format(
        {"bold": True, "bg_color": "#D9E1F2", "border": 1, "font_color": "#C00000"}
    )
    text_format = workbook.add_format({"num_format": "@"})
    example_format = workbook.add_format({"font_color": "#7F7F7F"})
    example_text_format = workbook.add_format({"font_color": "#7F7F7F", "num_format": "@"})
    columns = list(spec.columns)
    for index, column in enumerate(columns):
        sheet.set_column(index, index, column.width, text_format if column.text else None)
    notes = _(
        "%(label)s导入模板。带 * 的红色列为必填；请勿修改表头文字；鼠标停在表头上可查看填写说明。"
        "灰色示例行仅供参考，导入前请删除。身份证号等列已设为文本格式，请勿改为数字。"
    ) % {"label": spec.label}
    if len(columns) > 1:
        sheet.merge_range(0, 0, 0, len(columns) - 1, notes, notes_format)
    else:
        sheet.write_string(0, 0, notes, notes_format)
    sheet.set_row(0, 48)
    for index, column in enumerate(columns):
        title = f"*{column.header}" if column.required else str(column.header)
        sheet.write_string(1, index, title, required_format if column.required else header_format)
        comment = [(_("必填。") if column.required else _("选填。")) + str(column.help or "")]
        if column.example not in ("", None):
            comment.append(_("示例：%(example)s") % {"example": _as_text(column.example)})
        if column.aliases:
            comment.append(
                _("也可用列名：%(names)s") % {"names": "、".join(str(alias) for alias in column.aliases)}
            )
        sheet.write_comment(1, index, "\n".join(comment), {"x_scale": 2, "y_scale": 1.5})
    sheet.freeze_panes(2, 0)
    _add_drop_downs(workbook, sheet, columns)
    for offset, example in enumerate(spec.template_rows()):
        for index, column in enumerate(columns):
            value = example.get(column.key)
            if value in ("", None):
                continue
            if column.text or isinstance(value, str):
                sheet.write_string(
                    2 + offset,
                    index,
                    neutralise(_as_text(value)),
                    example_text_format if column.text else example_format,
                )
            elif isinstance(value, bool):
                sheet.write_boolean(2 + offset, index, value, example_format)
            elif isinstance(value, int | float):
                sheet.write_number(2 + offset, index, value, example_format)
            elif isinstance(value, date):
                date_format = workbook.add_format({"font_color": "#7F7F7F", "num_format": "yyyy-mm-dd"})
                sheet.write_datetime(2 + offset, index, value, date_format)
            else:
                sheet.write_string(2 + offset, index, neutralise(_as_text(value)), example_format)
    workbook.close()
    return output.getvalue()


# Excel keeps an inline list (“男,女”) to 255 characters, counted conservatively here (two for a character
# outside ASCII, as double-byte Excel versions count); a longer one lives on a hidden sheet.
INLINE_LIST_LIMIT = 255
TEMPLATE_LAST_ROW = 1_048_575  # zero-based: the sheet's last row


def _add_drop_downs(workbook, sheet, columns) -> None:
    """A drop-down list (data validation) under each column with `choices`, from the first data row down.
    Other values stay allowed (codes, aliases): the import checks them, not Excel."""
    lists = None
    for index, column in enumerate(columns):
        if column.choices is None:
            continue
        values = list(dict.fromkeys(str(value) for value in column.choices() if str(value).strip()))
        if not values:
            continue
        validation = {"validate": "list", "ignore_blank": True, "show_error": False}
        inline = ",".join(values)
        length = len(inline) + sum(1 for character in inline if ord(character) > 127)
        if length <= INLINE_LIST_LIMIT and not any("," in value for value in values):
            validation["source"] = values
        else:
            if lists is None:
                lists = workbook.add_worksheet(_("下拉选项")[:31])
                lists.hide()
                lists_column = 0
            lists.write_string(0, lists_column, str(column.header))
            for row, value in enumerate(values, start=1):
                lists.write_string(row, lists_column, neutralise(value))
            letter = column_letter(lists_column)
            validation["source"] = f"='{lists.get_name()}'!${letter}$2:${letter}${len(values) + 1}"
            lists_column += 1
        sheet.data_validation(2, index, TEMPLATE_LAST_ROW, index, validation)


def _as_text(value: Any) -> str:
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


# --- housekeeping ----------------------------------------------------------------------------------------


def purge_expired_files(*, days: int | None = None, now: datetime | None = None) -> int:
    """Delete stored uploads (which hold personal data) of jobs that ended more than `days` ago, and stray
    partial uploads older than a day. The jobs and their error lists stay. Returns the number of files."""
    days = file_retention_days() if days is None else days
    now = now or timezone.now()
    cutoff = now - timedelta(days=days)
    removed = 0
    expired = ImportJob.objects.filter(
        status__in=[ImportStatus.DONE, ImportStatus.CANCELLED, ImportStatus.FAILED], updated_at__lt=cutoff
    ).exclude(stored_file="")
    for job in expired.only("pk", "stored_file").iterator():
        with suppress(UnreadableFile):
            job_file(job).unlink(missing_ok=True)
        ImportJob.objects.filter(pk=job.pk).update(stored_file="")
        removed += 1
    root = imports_root()
    if root.is_dir():
        day_ago = (now - timedelta(days=1)).timestamp()
        leftovers = [*root.glob("*/*/.*.partial"), *root.glob("*/*/.*.writing"), *root.glob(f"{WORK_DIR}/*")]
        for partial in leftovers:  # of a server or worker that died while holding them
            with suppress(FileNotFoundError):  # or of a run that has just finished with it
                if partial.stat().st_mtime < day_ago:
                    partial.unlink()
                    removed += 1
    if removed:
        audit.record(
            events.IMPORT_FILES_PURGED,
            actor_name=audit.SYSTEM_ACTOR,
            message=_("删除 %(n)d 个超过 %(days)d 天的导入文件") % {"n": removed, "days": days},
        )
    return removed
