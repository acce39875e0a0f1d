"""Sending SMS: store first, send after commit, retry with backoff, never twice.

An attempt is counted in the database when a worker claims the message, before the gateway is called: a
message whose send kills its worker (or the worker dies for any other reason) is taken again when the
lease runs out, but only until the configured maximum (`sms.max_attempts`); after that it is marked failed
for good, audited and reported to the system administrator as a system alert.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from jiedao.audit import services as audit
from jiedao.core import crypto
from jiedao.core.exceptions import ValidationFailed
from jiedao.core.models import SystemAlert
from jiedao.core.tasks import enqueue_on_commit
from jiedao.parameters.services import get_parameter
from jiedao.sms import audit_events as events
from jiedao.sms.backends import GatewayError, Outgoing, gateway
from jiedao.sms.models import MessageStatus, OutboundMessage

if TYPE_CHECKING:
    from jiedao.orgs.models import OrgUnit

LEASE = timedelta(minutes=2)
MAX_LENGTH = 500
BATCH = 500  # messages per look-up and insert in `sms_queue_many`
ALERT_KEY = "sms.gave_up"
ALERT_WINDOW = timedelta(hours=24)


def max_attempts() -> int:
    return int(get_parameter("sms.max_attempts"))


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 … minutes, at most an hour."""
    return timedelta(minutes=min(60, 2 ** max(attempts - 1, 0)))


def after_quiet_hours(moment: dt.datetime) -> dt.datetime:
    """When a reminder written at `moment` may go out: at once, or, inside the night's quiet hours
    (`sms.quiet_start` to `sms.quiet_end` o'clock, Beijing time), when they end. A code someone is waiting
    for is never held; a reminder that a step waits or runs late is (a deadline at midnight, a timer firing
    at night)."""
    from jiedao.workcalendar.services import CHINA_TZ

    start, end = int(get_parameter("sms.quiet_start")), int(get_parameter("sms.quiet_end"))
    if start == end:
        return moment
    local = moment.astimezone(CHINA_TZ)
    hour = local.hour
    quiet = (start <= hour or hour < end) if start > end else (start <= hour < end)
    if not quiet:
        return moment
    release = local.replace(hour=end, minute=0, second=0, microsecond=0)
    if release <= local:
        release += timedelta(days=1)
    return release


@dataclass(frozen=True)
class SmsText:
    """One message to queue with `sms_queue_many` (the arguments of `sms_queue`)."""

    phone: str
    body: str
    org: OrgUnit
    purpose: str = ""
    dedupe_key: str | None = None
    not_before: dt.datetime | None = None


def sms_queue(
    *,
    actor,
    phone: str,
    body: str,
    org,
    purpose: str = "",
    dedupe_key: str | None = None,
    not_before: dt.datetime | None = None,
) -> OutboundMessage:
    """Store a message in the outbox (in the caller's transaction) and send it after commit, or from
    `not_before` on (the minutely retry sweep sends it then).

    With a `dedupe_key`, queueing the same notice again returns the message already queued.
    """
    [message] = sms_queue_many(
        [SmsText(phone, body, org, purpose, dedupe_key, not_before)], actor=actor, skip_invalid=False
    )
    return message


def _checked(text: SmsText) -> tuple[str, str]:
    """The national number and the trimmed body of `text`; ValidationFailed as `sms_queue` words it."""
    from jiedao.registry.validators import InvalidNumber, parse_phone

    try:
        parsed = parse_phone(text.phone)
    except InvalidNumber as error:
        raise ValidationFailed({"phone": [error.message]}) from None
    if parsed.kind != "mobile":
        raise ValidationFailed({"phone": [_("短信只能发送到手机号码。")]})
    body = (text.body or "").strip()
    if not body or len(body) > MAX_LENGTH:
        raise ValidationFailed({"body": [_("短信内容不能为空，且不超过 %(n)d 字。") % {"n": MAX_LENGTH}]})
    return parsed.national, body


def sms_queue_many(
    texts: Sequence[SmsText], *, actor=None, skip_invalid: bool = False
) -> list[OutboundMessage | None]:
    """`sms_queue` for many messages at once, with the same rules, in a constant number of queries per
    `BATCH` messages (a deadline sweep can text tens of thousands of holders).

    Every message is checked first: an invalid one raises ValidationFailed and nothing is stored, or, with
    `skip_invalid`, is left out (None in its place). The dedupe keys are looked up in one query per batch;
    a key given twice in the call is queued once. Messages queued by this call are audited once per org
    and purpose (a single message as `sms_queue` audits it), and those due now go to one delivery task
    per batch after commit. Returns the messages in the order given: new, already queued, or None."""
    checked: list[tuple[SmsText, str, str] | None] = []
    for text in texts:
        try:
            phone, body = _checked(text)
        except ValidationFailed:
            if not skip_invalid:
                raise
            checked.append(None)
        else:
            checked.append((text, phone, body))
    results: list[OutboundMessage | None] = [None] * len(checked)
    queued: dict[str, OutboundMessage] = {}  # by dedupe key, across the batches of this call
    with transaction.atomic():
        for start in range(0, len(checked), BATCH):
            _queue_batch(checked[start : start + BATCH], results, start, queued, actor)
    return results


def _queue_batch(
    checked: list[tuple[SmsText, str, str] | None],
    results: list[OutboundMessage | None],
    offset: int,
    queued: dict[str, OutboundMessage],
    actor,
) -> None:
    """Store one batch of checked texts (None: left out); `queued` holds the rows known by dedupe key."""
    keys = {item[0].dedupe_key for item in checked if item and item[0].dedupe_key} - set(queued)
    if keys:
        queued.update(
            (message.dedupe_key, message) for message in OutboundMessage.objects.filter(dedupe_key__in=keys)
        )
    now = timezone.now()
    created_by = actor if getattr(actor, "pk", None) else None
    new: list[OutboundMessage] = []
    slots: list[tuple[int, OutboundMessage]] = []  # (position in `results`, the row written for it)
    pending: dict[str, OutboundMessage] = {}
    for index, item in enumerate(checked, start=offset):
        if item is None:
            continue
        text, phone, body = item
        key = text.dedupe_key or None
        if key and key in queued:
            results[index] = queued[key]
            continue
        if key and key in pending:
            slots.append((index, pending[key]))
            continue
        row = OutboundMessage(
            uuid=uuid.uuid4(),
            org=text.org,
            created_by=created_by,
            phone=phone,
            phone_masked=crypto.mask_phone(phone),
            body=body,
            purpose=text.purpose,
            dedupe_key=key,
            next_attempt_at=max(now, text.not_before) if text.not_before else now,
        )
        new.append(row)
        slots.append((index, row))
        if key:
            pending[key] = row
    if not new:
        return
    # A sweep running at the same time may store one of these keys between the look-up and the insert:
    # the conflicting row is skipped here and the one stored first is answered, as `sms_queue` did.
    OutboundMessage.objects.bulk_create(new, ignore_conflicts=True)
    stored = {
        message.uuid: message for message in OutboundMessage.objects.filter(uuid__in=[m.uuid for m in new])
    }
    lost = [row.dedupe_key for row in new if row.uuid not in stored]
    if lost:
        queued.update(
            (message.dedupe_key, message) for message in OutboundMessage.objects.filter(dedupe_key__in=lost)
        )
    for index, row in slots:
        # PostgreSQL's unique check waits for the other sweep's commit, so its row is readable here; were it
        # not, the slot stays empty (not queued) rather than failing the whole sweep
        results[index] = stored.get(row.uuid) or queued.get(row.dedupe_key)
    written = [stored[row.uuid] for row in new if row.uuid in stored]
    queued.update((message.dedupe_key, message) for message in written if message.dedupe_key)
    groups: dict[tuple[int, str], list[OutboundMessage]] = defaultdict(list)
    for message in written:
        groups[message.org_id, message.purpose].append(message)
    for (org_id, purpose), messages in groups.items():
        if len(messages) == 1:
            audit.record(events.SMS_QUEUED, actor=actor, target=messages[0], message=purpose)
        else:  # one event for the lot, naming every message
            audit.record(
                events.SMS_QUEUED,
                actor=actor,
                org=org_id,
                message=purpose,
                after={"count": len(messages), "messages": [message.pk for message in messages]},
            )
    due = [message.pk for message in written if message.next_attempt_at <= now]
    if len(due) == 1:
        from jiedao.sms.tasks import deliver

        enqueue_on_commit(deliver, due[0])
    elif due:
        from jiedao.sms.tasks import deliver_many

        enqueue_on_commit(deliver_many, due)


def _claim(message_id: int, now) -> OutboundMessage | None:
    """Take the message for sending unless another worker holds a live lease, it is done or it has used up
    its attempts. The attempt is counted here, in the same update, before anything is sent."""
    claimable = Q(status__in=[MessageStatus.QUEUED, MessageStatus.FAILED], next_attempt_at__lte=now) | Q(
        status=MessageStatus.SENDING, lease_until__lt=now
    )
    taken = OutboundMessage.objects.filter(claimable, pk=message_id, attempts__lt=max_attempts()).update(
        status=MessageStatus.SENDING, lease_until=now + LEASE, attempts=F("attempts") + 1, updated_at=now
    )
    return OutboundMessage.objects.get(pk=message_id) if taken else None


def _give_up(message: OutboundMessage, now, reason: str) -> None:
    """Final failure: no more attempts; audited (the caller then refreshes the administrator's alert).
    `updated_at` is the caller's `now` (the alert counts the last 24 hours by it), hence an update rather than
    a save, which would stamp the clock's time."""
    message.status, message.next_attempt_at, message.lease_until = MessageStatus.FAILED, None, None
    message.last_error = reason[:300]
    message.updated_at = now
    OutboundMessage.objects.filter(pk=message.pk).update(
        status=message.status,
        next_attempt_at=None,
        lease_until=None,
        last_error=message.last_error,
        updated_at=now,
    )
    audit.record(events.SMS_FAILED, actor=None, target=message, success=False, message=message.last_error)


def _refresh_alert(now) -> None:
    """One system alert while messages gave up within the last 24 hours; resolved when none did."""
    count = OutboundMessage.objects.filter(
        status=MessageStatus.FAILED, next_attempt_at__isnull=True, updated_at__gte=now - ALERT_WINDOW
    ).count()
    if count:
        SystemAlert.objects.update_or_create(
            key=ALERT_KEY,
            defaults={
                "message": _(
                    "最近 24 小时内有 %(n)d 条短信发送失败且不再重试，请在短信发件箱查看并检查短信网关。"
                )
                % {"n": count},
                "resolved_at": None,
            },
        )
    else:
        SystemAlert.objects.filter(key=ALERT_KEY, resolved_at__isnull=True).update(resolved_at=now)


def give_up_abandoned(now=None, *, message_id: int | None = None) -> int:
    """Messages whose last allowed attempt was claimed by a worker that died (lease expired): failed for
    good. The periodic sweep (no `message_id`) also resolves the alert once no message gave up for 24 h."""
    now = now or timezone.now()
    abandoned = OutboundMessage.objects.filter(
        status=MessageStatus.SENDING, lease_until__lt=now, attempts__gte=max_attempts()
    )
    if message_id is not None:
        abandoned = abandoned.filter(pk=message_id)
    given_up = 0
    for pk in abandoned.values_list("pk", flat=True):
        with transaction.atomic():
            message = (
                OutboundMessage.objects.select_for_update()
                .filter(pk=pk, status=MessageStatus.SENDING, lease_until__lt=now)
                .first()
            )
            if message is None:
                continue
            _give_up(
                message,
                now,
                _("第 %(n)d 次发送时工作进程中断，已达最多尝试次数，不再重试。") % {"n": message.attempts},
            )
            given_up += 1
    if given_up or message_id is None:
        _refresh_alert(now)  # once for the whole sweep
    return given_up


def deliver_message(message_id: int, *, now=None) -> str:
    """Send one message if it is due; returns its status afterwards."""
    now = now or timezone.now()
    message = _claim(message_id, now)
    if message is None:
        give_up_abandoned(now, message_id=message_id)
        return (
            OutboundMessage.objects.filter(pk=message_id).values_list("status", flat=True).first()
            or "missing"
        )
    try:
        gateway_id = gateway().send(
            Outgoing(client_id=str(message.uuid), phone=message.phone, body=message.body)
        )
    except GatewayError as error:
        if not error.retryable or message.attempts >= max_attempts():
            with transaction.atomic():
                _give_up(message, now, str(error))
                _refresh_alert(now)
            return message.status
        message.status = MessageStatus.FAILED
        message.last_error = str(error)[:300]
        message.next_attempt_at = now + backoff(message.attempts)
        message.lease_until = None
        message.save(update_fields=["status", "last_error", "next_attempt_at", "lease_until", "updated_at"])
        return message.status
    message.status, message.sent_at, message.gateway_message_id = MessageStatus.SENT, now, gateway_id
    message.lease_until, message.next_attempt_at, message.last_error = None, None, ""
    message.save(
        update_fields=[
            "status",
            "sent_at",
            "gateway_message_id",
            "lease_until",
            "next_attempt_at",
            "last_error",
            "updated_at",
        ]
    )
    return message.status


def due_message_ids(now=None, limit: int = 500) -> list[int]:
    """Messages waiting for a retry, and sends whose worker died (lease expired)."""
    now = now or timezone.now()
    return list(
        OutboundMessage.objects.filter(
            Q(status__in=[MessageStatus.QUEUED, MessageStatus.FAILED], next_attempt_at__lte=now)
            | Q(status=MessageStatus.SENDING, lease_until__lt=now),
            attempts__lt=max_attempts(),
        )
        .order_by("id")
        .values_list("pk", flat=True)[:limit]
    )
