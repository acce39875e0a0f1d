import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jiedao.audit.models import AuditEvent
from jiedao.core.exceptions import ValidationFailed
from jiedao.core.testing import client_for, make_user
from jiedao.sms import services
from jiedao.sms.audit_events import SMS_QUEUED
from jiedao.sms.models import MessageStatus, OutboundMessage
from jiedao.sms.parameters_declared import MAX_ATTEMPTS


class Gateway(BaseHTTPRequestHandler):
    """A local SMS gateway: records what it receives, answers with the configured status, drops repeats."""

    received: list[dict] = []
    statuses: list[int] = []

    def do_POST(self):
        payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        status = self.statuses.pop(0) if self.statuses else 200
        if status == 200 and all(r["client_id"] != payload["client_id"] for r in self.received):
            self.received.append(payload)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps({"message_id": "gw-" + payload["client_id"][:8]}).encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def http_gateway(settings):
    Gateway.received, Gateway.statuses = [], []
    server = HTTPServer(("127.0.0.1", 0), Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.JIEDAO_SMS_BACKEND = "jiedao.sms.backends.HttpGatewayBackend"
    settings.JIEDAO_SMS_HTTP_URL = f"http://127.0.0.1:{server.server_port}/send"
    settings.JIEDAO_SMS_HTTP_TOKEN = "test-token"
    yield Gateway
    server.shutdown()


def queue(tree, **kwargs):
    return services.sms_queue(
        actor=None,
        phone=kwargs.pop("phone", "13800138000"),
        body=kwargs.pop("body", "您的申请已受理。"),
        org=tree.community_a1,
        **kwargs,
    )


def test_message_is_stored_then_sent_after_commit(tree, http_gateway, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = queue(tree, purpose="办件通知")
        assert http_gateway.received == []  # nothing leaves before the commit
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and message.attempts == 1
    assert http_gateway.received == [
        {"client_id": str(message.uuid), "phone": "13800138000", "content": "您的申请已受理。"}
    ]
    assert message.phone_masked == "138****8000"


def test_rolled_back_notice_is_never_sent(tree, http_gateway, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                queue(tree)
                raise RuntimeError
        except RuntimeError:
            pass
    assert OutboundMessage.objects.count() == 0 and http_gateway.received == []


def test_gateway_errors_are_retried_with_backoff_and_not_lost(tree, http_gateway):
    http_gateway.statuses = [503, 503]
    message = queue(tree)
    now = timezone.now()
    assert services.deliver_message(message.pk, now=now) == MessageStatus.FAILED
    message.refresh_from_db()
    assert message.next_attempt_at == now + timedelta(minutes=1)
    assert services.due_message_ids(now) == []
    assert services.deliver_message(message.pk, now=now + timedelta(minutes=1)) == MessageStatus.FAILED
    later = now + timedelta(minutes=4)
    assert services.due_message_ids(later) == [message.pk]
    assert services.deliver_message(message.pk, now=later) == MessageStatus.SENT
    assert len(http_gateway.received) == 1


def test_rejected_message_fails_for_good(tree, http_gateway):
    http_gateway.statuses = [400]
    message = queue(tree)
    assert services.deliver_message(message.pk) == MessageStatus.FAILED
    message.refresh_from_db()
    assert message.next_attempt_at is None and "HTTP 400" in message.last_error
    assert services.due_message_ids(timezone.now() + timedelta(days=1)) == []


def test_worker_died_mid_send_resends_once_under_the_same_id(tree, http_gateway):
    message = queue(tree)
    now = timezone.now()
    # a worker claimed it, the gateway got it, then the worker died before recording success
    OutboundMessage.objects.filter(pk=message.pk).update(
        status=MessageStatus.SENDING, lease_until=now + services.LEASE
    )
    http_gateway.received.append(
        {"client_id": str(message.uuid), "phone": "13800138000", "content": message.body}
    )
    assert services.deliver_message(message.pk, now=now) == MessageStatus.SENDING  # the lease is still live
    after_lease = now + services.LEASE + timedelta(seconds=1)
    assert services.due_message_ids(after_lease) == [message.pk]
    assert services.deliver_message(message.pk, now=after_lease) == MessageStatus.SENT
    assert len(http_gateway.received) == 1  # the gateway recognised the repeat


def test_same_notice_is_queued_once(tree, http_gateway):
    first = queue(tree, dedupe_key="application-42-accepted")
    second = queue(tree, dedupe_key="application-42-accepted")
    assert first.pk == second.pk and OutboundMessage.objects.count() == 1


def _batch(tree, count: int, **kwargs) -> list[services.SmsText]:
    return [
        services.SmsText(
            phone=f"138001380{n:02d}",
            body=f"第 {n} 条提醒",
            org=tree.community_a1,
            dedupe_key=f"k{n}",
            **kwargs,
        )
        for n in range(count)
    ]


def test_a_batch_is_queued_in_queries_that_do_not_grow_with_it(
    tree, http_gateway, django_capture_on_commit_callbacks
):
    texts = _batch(tree, 34, purpose="提醒")
    with django_capture_on_commit_callbacks(execute=True):
        services.sms_queue_many(texts[:2])  # the first audit event and parameters, read once
        assert http_gateway.received == []
    assert len(http_gateway.received) == 2  # sent after commit
    with CaptureQueriesContext(connection) as few:
        services.sms_queue_many(texts[:4])  # two of them queued before
    with CaptureQueriesContext(connection) as many:
        messages = services.sms_queue_many(texts)
    assert len(many) == len(few)
    assert OutboundMessage.objects.count() == 34
    assert [message.body for message in messages] == [text.body for text in texts]
    assert messages[0].phone == "13800138000" and messages[0].phone_masked == "138****8000"
    # one audit event for the 30 new ones, naming each
    event = AuditEvent.objects.filter(event_code=SMS_QUEUED.code).latest("id")
    assert event.after["count"] == 30 and sorted(event.after["messages"]) == sorted(
        m.pk for m in messages[4:]
    )


def test_a_key_given_twice_in_a_batch_or_queued_before_is_one_message(tree):
    earlier = queue(tree, dedupe_key="k1")
    texts = _batch(tree, 3)
    again = services.SmsText(phone="13900139000", body="另一条", org=tree.community_a1, dedupe_key="k2")
    messages = services.sms_queue_many([*texts, again])
    assert messages[1].pk == earlier.pk and messages[2].pk == messages[3].pk
    assert messages[3].body == "第 2 条提醒"
    assert OutboundMessage.objects.count() == 3


def test_a_batch_with_a_bad_number_stores_nothing_unless_told_to_skip_it(tree):
    texts = _batch(tree, 2)
    bad = services.SmsText(phone="010-12345678", body="通知", org=tree.community_a1)
    with pytest.raises(ValidationFailed) as error:
        services.sms_queue_many([*texts, bad])
    assert error.value.errors == {"phone": ["短信只能发送到手机号码。"]}
    assert OutboundMessage.objects.count() == 0
    messages = services.sms_queue_many([texts[0], bad, texts[1]], skip_invalid=True)
    assert messages[1] is None and OutboundMessage.objects.count() == 2


def test_a_batch_waits_for_not_before(tree, http_gateway, django_capture_on_commit_callbacks):
    later = timezone.now() + timedelta(hours=2)
    with django_capture_on_commit_callbacks(execute=True):
        messages = services.sms_queue_many(_batch(tree, 3, not_before=later))
    assert http_gateway.received == [] and {m.next_attempt_at for m in messages} == {later}
    assert all(m.status == MessageStatus.QUEUED for m in messages)


@pytest.mark.parametrize(
    ("phone", "body", "field"),
    [("010-12345678", "通知", "phone"), ("abc", "通知", "phone"), ("13800138000", "", "body")],
)
def test_bad_input_is_refused(tree, phone, body, field):
    with pytest.raises(ValidationFailed) as error:
        services.sms_queue(actor=None, phone=phone, body=body, org=tree.community_a1)
    assert field in error.value.errors
    assert OutboundMessage.objects.count() == 0


def test_development_outbox_file_and_page(tree, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    message = queue(tree, body="【明湖区】您的低保申请已进入公示。")
    services.deliver_message(message.pk)
    line = json.loads((tmp_path / "sms-outbox.log").read_text().splitlines()[0])
    assert line["to"] == "13800138000" and "低保" in line["body"]
    viewer = make_user(tree.community_a1, "sms.view_outboundmessage")
    page = client_for(viewer).get("/sms/outbox/").content.decode()
    assert "138****8000" in page and "13800138000" not in page and "已发送" in page
    outsider = make_user(tree.community_b1, "sms.view_outboundmessage")
    assert "低保" not in client_for(outsider).get("/sms/outbox/").content.decode()


def _outbox_lines(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_outbox_file_is_idempotent_per_client_id(tree, settings, tmp_path):
    """A worker that died after writing the message but before recording it: the resend writes nothing."""
    settings.VAR_DIR = tmp_path
    message = queue(tree)
    now = timezone.now()
    assert services.deliver_message(message.pk, now=now) == MessageStatus.SENT
    # the worker dies after the send: the database still says "sending" under an expired lease
    OutboundMessage.objects.filter(pk=message.pk).update(
        status=MessageStatus.SENDING, sent_at=None, lease_until=now - timedelta(seconds=1)
    )
    assert services.deliver_message(message.pk, now=now) == MessageStatus.SENT
    lines = _outbox_lines(tmp_path / "sms-outbox.log")
    assert [line["id"] for line in lines] == [str(message.uuid)]
    other = queue(tree, body="另一条通知。")
    assert services.deliver_message(other.pk) == MessageStatus.SENT
    assert [line["id"] for line in _outbox_lines(tmp_path / "sms-outbox.log")] == [
        str(message.uuid),
        str(other.uuid),
    ]


def test_outbox_file_recovers_from_a_write_torn_by_a_killed_worker(tree, settings, tmp_path):
    """Half a line (cut inside a Chinese character, no newline) left by a worker killed while writing: the
    message is written again on its own line, once, and the next message still goes out."""
    settings.VAR_DIR = tmp_path
    message = queue(tree)
    torn = (f'{{"id": "{message.uuid}", "to": "13800138000", "body": "您的申').encode()[:-2]
    (tmp_path / "sms-outbox.log").write_bytes(torn)
    assert services.deliver_message(message.pk) == MessageStatus.SENT
    other = queue(tree, body="另一条通知。")
    assert services.deliver_message(other.pk) == MessageStatus.SENT
    text = (tmp_path / "sms-outbox.log").read_text(encoding="utf-8", errors="replace").splitlines()
    assert text[0].startswith('{"id"') and "\ufffd" in text[0]  # the torn line, kept as it was
    assert [json.loads(line)["id"] for line in text[1:]] == [str(message.uuid), str(other.uuid)]


class KillsItsWorker:
    """A gateway whose send never returns to the worker (the process dies: here, an escaping exception)."""

    calls = 0

    def send(self, message):
        KillsItsWorker.calls += 1
        raise SystemExit("worker killed")


def test_attempt_is_counted_before_sending_and_a_worker_killer_is_given_up(tree, settings):
    from jiedao.audit.models import AuditEvent
    from jiedao.core.models import SystemAlert
    from jiedao.parameters.services import clear_cache

    settings.JIEDAO_SMS_BACKEND = f"{__name__}.KillsItsWorker"
    KillsItsWorker.calls = 0
    clear_cache()
    message = queue(tree)
    now = timezone.now()
    for n in range(1, MAX_ATTEMPTS.default + 1):
        with pytest.raises(SystemExit):
            services.deliver_message(message.pk, now=now)
        message.refresh_from_db()
        assert message.attempts == n and message.status == MessageStatus.SENDING  # counted before sending
        now += services.LEASE + timedelta(seconds=1)  # the lease runs out; the sweep may take it again
    assert services.due_message_ids(now) == []  # no ninth attempt
    assert services.deliver_message(message.pk, now=now) == MessageStatus.FAILED
    assert KillsItsWorker.calls == MAX_ATTEMPTS.default
    message.refresh_from_db()
    assert message.next_attempt_at is None and message.lease_until is None
    assert "工作进程中断" in message.last_error
    assert AuditEvent.objects.filter(event_name="sms.message.failed", success=False).count() == 1
    alert = SystemAlert.objects.get(key=services.ALERT_KEY, resolved_at__isnull=True)
    assert "1 条短信" in alert.message
    # the periodic sweep leaves it failed (nothing more to give up) and resolves the alert a day later
    assert services.give_up_abandoned(now) == 0
    assert services.give_up_abandoned(now + timedelta(days=1, minutes=1)) == 0
    assert not SystemAlert.objects.filter(key=services.ALERT_KEY, resolved_at__isnull=True).exists()


def test_maximum_attempts_is_a_system_parameter(tree, http_gateway):
    from jiedao.parameters.services import clear_cache, parameter_set

    admin = make_user(tree.district, "parameters.manage_systemparameter", "parameters.view_systemparameter")
    parameter_set(actor=admin, key="sms.max_attempts", raw_value="2")
    clear_cache()
    http_gateway.statuses = [503, 503, 200]
    message = queue(tree)
    now = timezone.now()
    assert services.deliver_message(message.pk, now=now) == MessageStatus.FAILED
    later = now + timedelta(minutes=1)
    assert services.deliver_message(message.pk, now=later) == MessageStatus.FAILED
    message.refresh_from_db()
    assert message.attempts == 2 and message.next_attempt_at is None  # given up after two
    assert services.due_message_ids(later + timedelta(hours=2)) == []
    assert http_gateway.received == []
