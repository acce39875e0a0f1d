"""SMS gateways. Settings choose one: `JIEDAO_SMS_BACKEND`.

- `jiedao.sms.backends.OutboxFileBackend` (default, development): appends each message to
  `var/sms-outbox.log`, once per client message id (a resend after a worker died mid-send finds the line
  already written and writes nothing, as a real gateway drops a repeat); the outbox page shows every
  message.
- `jiedao.sms.backends.HttpGatewayBackend` (production): POSTs JSON to `JIEDAO_SMS_HTTP_URL` with
  `JIEDAO_SMS_HTTP_TOKEN`, sending our message UUID as the client message id so the gateway drops a
  repeat. Operators of an SMPP gateway put an HTTP bridge in front of it (docs/operations.md).
"""

from __future__ import annotations

import fcntl
import json
import urllib.error
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string


class GatewayError(Exception):
    """Sending failed; `retryable` says whether trying again later may help."""

    def __init__(self, message: str, *, retryable: bool = True):
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True)
class Outgoing:
    client_id: str
    phone: str
    body: str


class OutboxFileBackend:
    """Development gateway: one JSON line per message in `var/sms-outbox.log`, idempotent per client id.

    The file is locked while it is searched and appended to, so two workers sending the same message at
    once (one of them after the other's lease expired) still write it once.
    """

    file_name = "sms-outbox.log"

    def send(self, message: Outgoing) -> str:
        path = settings.VAR_DIR / self.file_name
        path.parent.mkdir(parents=True, exist_ok=True)
        # A worker killed mid-write may have left half a character and no newline: read past it, and start
        # on a line of our own.
        with path.open("a+", encoding="utf-8", errors="replace") as out:
            fcntl.flock(out, fcntl.LOCK_EX)
            try:
                out.seek(0)
                last = ""
                for line in out:
                    if message.client_id in line and _line_id(line) == message.client_id:
                        break
                    last = line
                else:
                    out.seek(0, 2)
                    out.write(
                        ("" if not last or last.endswith("\n") else "\n")
                        + json.dumps(
                            {
                                "at": timezone.now().isoformat(),
                                "id": message.client_id,
                                "to": message.phone,
                                "body": message.body,
                            },
                            ensure_ascii=False,
                        )
                        + "\n"
                    )
                    out.flush()
            finally:
                fcntl.flock(out, fcntl.LOCK_UN)
        return f"file:{message.client_id}"


def _line_id(line: str) -> str | None:
    try:
        return json.loads(line).get("id")
    except (ValueError, AttributeError):
        return None  # a torn or foreign line: not a message of ours


class HttpGatewayBackend:
    def send(self, message: Outgoing) -> str:
        url = settings.JIEDAO_SMS_HTTP_URL
        if not url:
            raise GatewayError("JIEDAO_SMS_HTTP_URL is not configured", retryable=False)
        payload = json.dumps(
            {"client_id": message.client_id, "phone": message.phone, "content": message.body}
        ).encode()
        request = urllib.request.Request(
            url,
            data=payload,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {settings.JIEDAO_SMS_HTTP_TOKEN}",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                body = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            raise GatewayError(
                f"HTTP {error.code}", retryable=error.code >= 500 or error.code == 429
            ) from error
        except (urllib.error.URLError, TimeoutError, ValueError) as error:
            raise GatewayError(str(error)) from error
        return str(body.get("message_id") or message.client_id)


def gateway():
    return import_string(settings.JIEDAO_SMS_BACKEND)()
