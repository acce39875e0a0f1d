"""SMS gateways. Settings choose one: `JIEDAO_SMS_BACKEND`.

- `jiedao.sms.backends.OutboxFileBackend` (default, development): appends each message to
  `var/sms-outbox.log`; the outbox page shows every message.
- `jiedao.sms.backends.HttpGatewayBackend` (production): POSTs JSON to `JIEDAO_SMS_HTTP_URL` with
  `JIEDAO_SMS_HTTP_TOKEN`, sending our message UUID as the client message id so the gateway drops a
  repeat. Operators of an SMPP gateway put an HTTP bridge in front of it (docs/operations.md).
"""

from __future__ import annotations

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
    def send(self, message: Outgoing) -> str:
        path = settings.VAR_DIR / "sms-outbox.log"
        with path.open("a", encoding="utf-8") as out:
            out.write(
                json.dumps(
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
        return f"file:{message.client_id}"


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
