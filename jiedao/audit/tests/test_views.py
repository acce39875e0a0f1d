"""The auditor's pages: list with filters, event detail with its changes, verification, and who may see them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from jiedao.accounts import audit_events as account_events
from jiedao.audit import services
from jiedao.audit.audit_events import AUDIT_CHAIN_VERIFIED, AUDIT_LOG_VIEWED
from jiedao.audit.models import AuditEvent
from jiedao.audit.tests.conftest import guards_disabled, raw_sql
from jiedao.core.menus import menu_for
from jiedao.core.scope import DataScope
from jiedao.core.testing import api_client_for, client_for, make_user
from jiedao.orgs import audit_events as org_events

pytestmark = pytest.mark.django_db


def _ids(response) -> list[int]:
    return [e.pk for e in response.context["object_list"]]


def _viewed_count() -> int:
    return AuditEvent.objects.filter(event_name=AUDIT_LOG_VIEWED.name).count()


@pytest.fixture
def log(tree, monkeypatch):
    """A small log: two logins by zhang (one failed), an org change by li in 甲一社区, one in 乙一社区 last month."""
    zhang = make_user(tree.community_a1, username="zhang")
    li = make_user(tree.subdistrict_a, username="li")
    events = {
        "login_ok": services.record(account_events.LOGIN_SUCCEEDED, actor=zhang, target=zhang),
        "login_failed": services.record(
            account_events.LOGIN_FAILED,
            actor_name="zhang",
            org=tree.community_a1,
            success=False,
            message="密码错误",
        ),
        "renamed": services.record(
            org_events.ORG_RENAMED,
            actor=li,
            target=tree.community_a1,
            before={"name": "甲一社区", "division_code": "110105001001", "sort_order": 0},
            after={"name": "甲一新社区", "division_code": "110105001001", "sort_order": 0},
        ),
    }
    last_month = timezone.now() - timedelta(days=40)
    monkeypatch.setattr(services, "_now", lambda: last_month)
    events["old"] = services.record(
        org_events.ORG_CREATED, actor=li, target=tree.community_b1, after={"name": "乙一社区"}
    )
    monkeypatch.undo()
    return events


def test_auditor_sees_events_newest_first(auditor, log):
    response = client_for(auditor).get("/audit/")
    assert response.status_code == 200
    ids = _ids(response)
    assert ids == sorted(ids, reverse=True)
    assert set(ids) == {e.pk for e in log.values()}
    html = response.content.decode()
    assert "修改组织节点" in html and "1102" in html
    local = timezone.localtime(log["renamed"].created_at, timezone.get_fixed_timezone(8 * 60))
    assert local.strftime("%Y-%m-%d %H:%M:%S") in html
    assert "甲一社区" in html
    assert "失败" in html


def test_filters_narrow_the_list(auditor, log, tree):
    client = client_for(auditor)
    assert set(_ids(client.get("/audit/", {"actor": "zhang"}))) == {
        log["login_ok"].pk,
        log["login_failed"].pk,
    }
    assert _ids(client.get("/audit/", {"event_type": "accounts.login.failed"})) == [log["login_failed"].pk]
    assert _ids(client.get("/audit/", {"result": "failure"})) == [log["login_failed"].pk]
    today = timezone.localdate().isoformat()
    recent = set(_ids(client.get("/audit/", {"date_from": today, "date_to": today})))
    assert log["old"].pk not in recent and log["renamed"].pk in recent
    old_day = timezone.localtime(log["old"].created_at).date().isoformat()
    assert _ids(client.get("/audit/", {"date_to": old_day})) == [log["old"].pk]
    # An org filter includes the subtree: 甲街道 covers 甲一社区, not 乙一社区.
    in_a = set(_ids(client.get("/audit/", {"org": tree.subdistrict_a.pk})))
    assert log["renamed"].pk in in_a and log["login_failed"].pk in in_a and log["old"].pk not in in_a
    assert _ids(
        client.get("/audit/", {"target_type": "orgs.OrgUnit", "target_id": tree.community_b1.pk})
    ) == [log["old"].pk]


def test_invalid_filter_shows_an_error(auditor, log):
    response = client_for(auditor).get("/audit/", {"date_from": "2026-02-01", "date_to": "2026-01-01"})
    assert response.status_code == 200
    assert _ids(response) == []
    assert "截止日期不能早于起始日期" in response.content.decode()


def test_viewing_is_recorded_once_per_query_not_per_page(auditor, tree):
    for i in range(60):
        services.record(org_events.ORG_RENAMED, target=tree.community_a1, message=str(i))
    client = client_for(auditor)
    assert client.get("/audit/").status_code == 200
    assert _viewed_count() == 1
    assert client.get("/audit/", {"page": 2}).status_code == 200
    assert _viewed_count() == 1
    viewed = AuditEvent.objects.filter(event_name=AUDIT_LOG_VIEWED.name).get()
    assert viewed.actor_name == "auditor" and viewed.after == {"filter": {}}
    client.get("/audit/", {"actor": "nobody"})
    assert _viewed_count() == 2
    assert AuditEvent.objects.filter(event_name=AUDIT_LOG_VIEWED.name).first().after == {
        "filter": {"actor": "nobody"}
    }
    assert services.verify_chain().ok


def test_detail_shows_changes_as_a_diff(auditor, log):
    response = client_for(auditor).get(f"/audit/{log['renamed'].pk}/")
    assert response.status_code == 200
    diff = {row["field"]: row for row in response.context["diff"]}
    assert diff["名称（name）"]["changed"] is True
    assert diff["名称（name）"]["before"] == "甲一社区" and diff["名称（name）"]["after"] == "甲一新社区"
    assert diff["区划代码（division_code）"]["changed"] is False
    html = response.content.decode()
    assert html.count('data-changed="1"') == 1
    assert "已变更" in html
    assert AuditEvent.objects.filter(
        event_name=AUDIT_LOG_VIEWED.name, target_id=str(log["renamed"].pk)
    ).exists()


def test_verify_page_reports_an_intact_chain(auditor, log):
    response = client_for(auditor).get("/audit/verify/")
    assert response.status_code == 200
    assert "审计链完整，共校验 4 条" in response.content.decode()
    verified = AuditEvent.objects.filter(event_name=AUDIT_CHAIN_VERIFIED.name).get()
    assert verified.success and verified.actor_name == "auditor"


def test_verify_page_and_command_report_an_edited_event(auditor, log):
    with guards_disabled():
        raw_sql("UPDATE audit_auditevent SET actor_name = %s WHERE id = %s", ["someone", log["renamed"].pk])
    response = client_for(auditor).get("/audit/verify/")
    html = response.content.decode()
    assert f"审计链在事件 #{log['renamed'].pk} 处断裂" in html
    assert "篡改" in html
    assert not AuditEvent.objects.filter(event_name=AUDIT_CHAIN_VERIFIED.name).get().success
    with pytest.raises(CommandError) as failed:
        call_command("audit_verify")
    assert failed.value.returncode != 0
    assert f"审计链在事件 #{log['renamed'].pk} 处断裂" in str(failed.value)
    assert "篡改" in str(failed.value)


def test_verify_command_reports_a_deleted_event(log):
    with guards_disabled():
        raw_sql("DELETE FROM audit_auditevent WHERE id = %s", [log["login_failed"].pk])
    with pytest.raises(CommandError, match=f"#{log['renamed'].pk}") as failed:
        call_command("audit_verify")
    assert "删除" in str(failed.value)


def test_verify_command_prints_the_count_when_intact(log, capsys):
    call_command("audit_verify", "--deep")
    out = capsys.readouterr().out
    assert "审计链完整，共校验 4 条" in out


def test_non_auditors_get_403(tree, log):
    admin = make_user(
        tree.district,
        "accounts.view_user",
        "accounts.add_user",
        "accounts.change_user",
        "accounts.view_role",
        "accounts.view_loginattempt",
        scope=DataScope.ALL,
        admin_duty="system",
    )
    client = client_for(admin)
    for url in ("/audit/", f"/audit/{log['renamed'].pk}/", "/audit/export/", "/audit/verify/"):
        assert client.get(url).status_code == 403, url
    api = api_client_for(admin)
    assert api.get("/api/v1/audit-events/").status_code == 403
    assert api.get(f"/api/v1/audit-events/{log['renamed'].pk}/").status_code == 403
    assert not AuditEvent.objects.filter(event_name=AUDIT_LOG_VIEWED.name).exists()
    labels = {str(item["label"]) for section in menu_for(admin) for item in section["items"]}
    assert "审计日志" not in labels and "审计链校验" not in labels


def test_anonymous_is_sent_to_login(db):
    from django.test import Client

    response = Client().get("/audit/")
    assert response.status_code == 302 and "/accounts/" in response["Location"]


def test_auditor_menu(auditor):
    sections = {str(s["label"]): [str(i["label"]) for i in s["items"]] for s in menu_for(auditor)}
    assert {"审计日志", "审计链校验"} <= set(sections["安全审计"])


def test_auditor_without_verify_permission_cannot_verify(tree):
    viewer = make_user(tree.district, "audit.view_auditevent", scope=DataScope.ALL, admin_duty="audit")
    client = client_for(viewer)
    assert client.get("/audit/").status_code == 200
    assert client.get("/audit/verify/").status_code == 403
    assert client.get("/audit/export/").status_code == 403


def test_subtree_auditor_sees_only_their_subtree(tree, log):
    local = make_user(
        tree.subdistrict_a, "audit.view_auditevent", scope=DataScope.SUBTREE, admin_duty="audit"
    )
    client = client_for(local)
    ids = set(_ids(client.get("/audit/")))
    assert log["renamed"].pk in ids and log["old"].pk not in ids
    assert client.get(f"/audit/{log['old'].pk}/").status_code == 404
