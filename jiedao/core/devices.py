"""Devices that work without a staff login — a window's 评价器 (applications.PadDevice), a hall's 取号机
(queueing.KioskDevice): registered through a single-use link a manager shows as a QR code, then known by a
random token in the device's own cookie. Only hashes of either token are kept. The device models carry the
same columns (link_hash, link_expires_at, device_hash, paired_at, last_seen_at, revoked_at); what a device
belongs to, who may register it and the words of a refusal stay with its app."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.db.models import QuerySet
from django.utils import timezone

TOKEN_MAX_LENGTH = 64  # longer "tokens" are not ours: refused without a query


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def find_by_link(devices: QuerySet, token: str, *, lock: bool = False):
    """The device a registration link's token names (locked with `lock`, to use the link up), or None."""
    token = (token or "").strip()
    if not 0 < len(token) <= TOKEN_MAX_LENGTH:
        return None
    if lock:
        devices = devices.select_for_update(of=("self",))
    return devices.filter(link_hash=token_hash(token)).first()


def link_used(device) -> bool:
    return device.paired_at is not None or device.revoked_at is not None


def link_expired(device) -> bool:
    return device.link_expires_at <= timezone.now()


def use_link(device) -> tuple[str, dt.datetime]:
    """Register the device of a checked, locked link: the link is used up and the device gets a token of its
    own, returned once (for its cookie) with the moment of registration."""
    device_token = new_token()
    at = timezone.now()
    device.device_hash = token_hash(device_token)
    device.paired_at = device.last_seen_at = at
    device.save(update_fields=["device_hash", "paired_at", "last_seen_at"])
    return device_token, at


def find_by_cookie(devices: QuerySet, token: str, *, lifetime: dt.timedelta, seen_every: dt.timedelta):
    """The registered, not stopped, not expired device among `devices` whose cookie holds `token`, or None;
    notes when it was last seen (at most every `seen_every`, not on every request)."""
    token = (token or "").strip()
    if not token or len(token) > TOKEN_MAX_LENGTH:
        return None
    now = timezone.now()
    device = devices.filter(
        device_hash=token_hash(token), revoked_at__isnull=True, paired_at__gt=now - lifetime
    ).first()
    if device is not None and device.last_seen_at < now - seen_every:
        type(device).objects.filter(pk=device.pk).update(last_seen_at=now)
    return device
