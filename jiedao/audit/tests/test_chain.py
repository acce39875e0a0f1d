"""The SM3 chain: what is written verifies, and every kind of tampering is reported at the right event."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from jiedao.audit import services
from jiedao.audit.models import AppendOnlyError, AuditChainHead, AuditEvent
from jiedao.audit.tests.conftest import guards_disabled, raw_sql
from jiedao.core import request_context
from jiedao.orgs import audit_events as org_events

pytestmark = pytest.mark.django_db


def _events(tree, n: int) -> list[AuditEvent]:
    return [
        services.record(
            org_events.ORG_RENAMED, target=tree.community_a1, message=f"第 {i} 次", after={"i": i}
        )
        for i in range(n)
    ]


def test_events_chain_and_verify(tree):
    events = _events(tree, 5)
    assert events[0].prev_hash == services.GENESIS_HASH
    for previous, event in zip(events, events[1:], strict=False):
        assert event.prev_hash == previous.hash
    report = services.verify_chain()
    assert report.ok
    assert report.checked == 5
    assert report.summary == "审计链完整，共校验 5 条。"


def test_empty_log_verifies(db):
    report = services.verify_chain()
    assert report.ok and report.checked == 0


def test_values_survive_the_database_round_trip(tree):
    """What the database hands back must hash like what was written: IPv6, Chinese, dates, big numbers."""
    token = request_context.bind(
        request_context.RequestInfo(
            request_id="r" * 70, ip="2001:0DB8:0000::0001", user_agent="浏览器\x00/1.0"
        )
    )
    try:
        services.record(
            org_events.ORG_MOVED,
            target=tree.grid_a1,
            message="移动\x00网格",
            before={
                "parent_id": tree.community_a1.pk,
                "金额": 1.5,
                "大数": 1e20,
                "日期": tree.grid_a1.created_at,
            },
            after={"parent_id": tree.community_a2.pk, "列表": [1, "二", None, True], "空": {}},
        )
        services.record(org_events.ORG_MOVED, message="无效地址")
    finally:
        request_context.reset(token)
    token = request_context.bind(request_context.RequestInfo(ip="unknown"))
    try:
        services.record(org_events.ORG_MOVED, message="来源地址不是 IP")
    finally:
        request_context.reset(token)
    assert services.verify_chain().ok
    stored = AuditEvent.objects.order_by("id").first()
    assert stored.ip == "2001:db8::1"
    assert stored.org_id == tree.grid_a1.pk  # an org node's scope org is itself
    assert stored.message == "移动网格"
    assert AuditEvent.objects.order_by("id").last().ip is None


def test_model_refuses_update_and_delete(tree):
    event = _events(tree, 1)[0]
    event.message = "改过"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()


def test_database_refuses_raw_update(tree):
    event = _events(tree, 1)[0]
    with pytest.raises(DatabaseError), transaction.atomic():
        raw_sql("UPDATE audit_auditevent SET message = %s WHERE id = %s", ["改过", event.pk])
    assert AuditEvent.objects.get(pk=event.pk).message == "第 0 次"


def test_database_refuses_raw_delete_outside_archiving(tree):
    event = _events(tree, 1)[0]
    with pytest.raises(DatabaseError), transaction.atomic():
        raw_sql("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk)._raw_delete(connection.alias)
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_edited_event_is_reported_at_that_event(tree):
    events = _events(tree, 5)
    with guards_disabled():
        raw_sql("UPDATE audit_auditevent SET message = %s WHERE id = %s", ["被改过的说明", events[2].pk])
    report = services.verify_chain()
    assert not report.ok
    assert report.broken_event_id == events[2].pk
    assert report.checked == 2
    assert "篡改" in report.reason
    assert report.summary.startswith(f"审计链在事件 #{events[2].pk} 处断裂")


@pytest.mark.parametrize("column", ["user_agent", "actor_name", "created_at", "after", "success"])
def test_any_edited_column_is_detected(tree, column):
    events = _events(tree, 3)
    values = {
        "user_agent": "curl/8",
        "actor_name": "someone",
        "created_at": "2020-01-01 00:00:00",
        "after": '{"i": 99}',
        "success": False,
    }
    with guards_disabled():
        raw_sql(f"UPDATE audit_auditevent SET {column} = %s WHERE id = %s", [values[column], events[1].pk])
    assert services.verify_chain().broken_event_id == events[1].pk


def test_deleted_middle_event_is_reported_at_the_next_one(tree):
    events = _events(tree, 5)
    with guards_disabled():
        raw_sql("DELETE FROM audit_auditevent WHERE id = %s", [events[2].pk])
    report = services.verify_chain()
    assert report.broken_event_id == events[3].pk
    assert f"#{events[1].pk}" in report.reason and "删除" in report.reason


def test_deleted_oldest_event_is_reported(tree):
    events = _events(tree, 3)
    with guards_disabled():
        raw_sql("DELETE FROM audit_auditevent WHERE id = %s", [events[0].pk])
    assert services.verify_chain().broken_event_id == events[1].pk


def test_deleted_newest_events_are_reported_at_the_head(tree):
    events = _events(tree, 5)
    with guards_disabled():
        raw_sql("DELETE FROM audit_auditevent WHERE id >= %s", [events[3].pk])
    report = services.verify_chain()
    assert not report.ok
    assert report.broken_event_id == events[4].pk
    assert report.checked == 3
    assert "链尾缺失" in report.reason


def test_all_events_deleted_is_reported(tree):
    events = _events(tree, 2)
    with guards_disabled():
        raw_sql("DELETE FROM audit_auditevent")
    report = services.verify_chain()
    assert report.broken_event_id == events[1].pk


def test_forged_hash_is_reported_at_the_next_event(tree):
    """Edit an event and recompute its hash: it looks fine alone, but the next event no longer links to it."""
    events = _events(tree, 5)
    forged = AuditEvent.objects.get(pk=events[2].pk)
    forged.message = "伪造的说明"
    new_hash = services.event_hash(forged)
    with guards_disabled():
        raw_sql(
            "UPDATE audit_auditevent SET message = %s, hash = %s WHERE id = %s",
            [forged.message, new_hash, forged.pk],
        )
    report = services.verify_chain()
    assert report.broken_event_id == events[3].pk
    assert f"#{events[2].pk}" in report.reason


def test_forged_newest_event_is_reported_at_the_head(tree):
    events = _events(tree, 3)
    forged = AuditEvent.objects.get(pk=events[2].pk)
    forged.message = "伪造"
    with guards_disabled():
        raw_sql(
            "UPDATE audit_auditevent SET message = %s, hash = %s WHERE id = %s",
            [forged.message, services.event_hash(forged), forged.pk],
        )
    report = services.verify_chain()
    assert report.broken_event_id == events[2].pk
    assert "篡改" in report.reason


def test_events_written_after_the_head_was_read_are_not_reported(tree):
    """Verification checks up to the head it read first, so a writer racing it causes no false report."""
    _events(tree, 3)
    head = AuditChainHead.objects.get(pk=1)
    _events(tree, 2)
    assert services.verify_chain().ok
    assert head.last_event_id < AuditChainHead.objects.get(pk=1).last_event_id


def test_missing_chain_head_is_reported(tree):
    _events(tree, 2)
    AuditChainHead.objects.all().delete()
    report = services.verify_chain()
    assert not report.ok and "链头" in report.reason
