"""Sending SMS: store first, send after commit, retry with backoff, never twice."""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from jiedao.audit import services as audit
from jiedao.core import crypto
from jiedao.core.exceptions import ValidationFailed
from jiedao.core.tasks import enqueue_on_commit
from jiedao.sms import audit_events as events
from jiedao.sms.backends import GatewayError, Outgoing, gateway
from jiedao.sms.models import MessageStatus, OutboundMessage

MAX_ATTEMPTS = 8
LEASE = timedelta(minutes=2)
MAX_LENGTH = 500


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 … minutes, at most an hour."""
    return timedelta(minutes=min(60, 2 ** max(attempts - 1, 0)))


def sms_queue(
    *, actor, phone: str, body: str, org, purpose: str = "", dedupe_key: str | None = None
) -> OutboundMessage:
    """Store a message in the outbox (in the caller's transaction) and send it after commit.

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
                next_attempt_at=timezone.now(),
            )
            audit.record(events.SMS_QUEUED, actor=actor, target=message, message=purpose)
    except IntegrityError:
        return OutboundMessage.objects.get(dedupe_key=dedupe_key)
    from jiedao.sms.tasks import deliver

    enqueue_on_commit(deliver, message.pk)
    return message


def _claim(message_id: int, now) -> OutboundMessage | None:
    """Take the message for sending unless another worker holds a live lease or it is done."""
    claimable = Q(status__in=[MessageStatus.QUEUED, MessageStatus.FAILED], next_attempt_at__lte=now) | Q(
        status=MessageStatus.SENDING, lease_until__lt=now
    )
    taken = OutboundMessage.objects.filter(claimable, pk=message_id, attempts__lt=MAX_ATTEMPTS).update(
        status=MessageStatus.SENDING, lease_until=now + LEASE
    )
    return OutboundMessage.objects.get(pk=message_id) if taken else None


def deliver_message(message_id: int, *, now=None) -> str:
    """Send one message if it is due; returns its status afterwards."""
    now = now or timezone.now()
    message = _claim(message_id, now)
    if message is None:
        return (
            OutboundMessage.objects.filter(pk=message_id).values_list("status", flat=True).first()
            or "missing"
        )
    message.attempts += 1
    try:
        gateway_id = gateway().send(
            Outgoing(client_id=str(message.uuid), phone=message.phone, body=message.body)
        )
    except GatewayError as error:
        message.status = MessageStatus.FAILED
        message.last_error = str(error)[:300]
        final = not error.retryable or message.attempts >= MAX_ATTEMPTS
        message.next_attempt_at = None if final else now + backoff(message.attempts)
        message.lease_until = None
        message.save(
            update_fields=["status", "attempts", "last_error", "next_attempt_at", "lease_until", "updated_at"]
        )
        if final:
            audit.record(
                events.SMS_FAILED, actor=None, target=message, success=False, message=message.last_error
            )
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
            "attempts",
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
            attempts__lt=MAX_ATTEMPTS,
        )
        .order_by("id")
        .values_list("pk", flat=True)[:limit]
    )
