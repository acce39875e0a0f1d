"""Sending SMS: store first, send after commit, retry with backoff, never twice.

An attempt is counted in the database when a worker claims the message, before the gateway is called: a
message whose send kills its worker (or the worker dies for any other reason) is taken again when the
lease runs out, but only until the configured maximum (`sms.max_attempts`); after that it is marked failed
for good, audited and reported to the system administrator as a system alert.
"""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

from django.db import IntegrityError, transaction
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

LEASE = timedelta(minutes=2)
MAX_LENGTH = 500
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
    from jiedao.registry.validators import InvalidNumber, parse_phone

    try:
        parsed = parse_phone(phone)
    except InvalidNumber as error:
        raise ValidationFailed({"phone": [error.message]}) from None
    if parsed.kind != "mobile":
        raise ValidationFailed({"phone": [_("短信只能发送到手机号码。")]})
    body = (body or "").strip()
    if not body or len(body) > MAX_LENGTH:
        raise ValidationFailed({"body": [_("短信内容不能为空，且不超过 %(n)d 字。") % {"n": MAX_LENGTH}]})
    if dedupe_key:
        existing = OutboundMessage.objects.filter(dedupe_key=dedupe_key).first()
        if existing is not None:
            return existing
    now = timezone.now()
    try:
        with transaction.atomic():
            message = OutboundMessage.objects.create(
                org=org,
                created_by=actor if getattr(actor, "pk", None) else None,
                phone=parsed.national,
                phone_masked=crypto.mask_phone(parsed.national),
                body=body,
                purpose=purpose,
                dedupe_key=dedupe_key,
                next_attempt_at=max(now, not_before) if not_before else now,
            )
            audit.record(events.SMS_QUEUED, actor=actor, target=message, message=purpose)
    except IntegrityError:
        return OutboundMessage.objects.get(dedupe_key=dedupe_key)
    if message.next_attempt_at <= now:
        from jiedao.sms.tasks import deliver

        enqueue_on_commit(deliver, message.pk)
    return message


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
