"""The Excel export and the read-only API, with the same filter as the page."""

from __future__ import annotations

import io

import openpyxl
import pytest
from drf_spectacular.generators import SchemaGenerator

from jiedao.accounts import audit_events as account_events
from jiedao.audit import services
from jiedao.audit.audit_events import AUDIT_LOG_EXPORTED, AUDIT_LOG_VIEWED
from jiedao.audit.models import AuditEvent
from jiedao.core.testing import api_client_for, client_for, make_user
from jiedao.orgs import audit_events as org_events

pytestmark = pytest.mark.django_db


@pytest.fixture
def log(tree):
    zhang = make_user(tree.community_a1, username="zhang")
    return [
        services.record(account_events.LOGIN_SUCCEEDED, actor=zhang, target=zhang),
        services.record(
            account_events.LOGIN_FAILED,
            actor_name='=HYPERLINK("http://evil")',
            success=False,
            message="@SUM(1+1)",
            org=tree.community_a1,
        ),
        services.record(account_events.LOGIN_FAILED, actor_name="zhang", success=False, message="-2+3"),
        services.record(org_events.ORG_RENAMED, actor=zhang, target=tree.community_a1, message="+改名"),
    ]


def _workbook(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response["Content-Disposition"]
    return openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active


def test_export_matches_the_filter_and_is_audited(auditor, log):
    response = client_for(auditor).get("/audit/export/", {"event_type": "accounts.login.failed"})
    sheet = _workbook(response)
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("编号", "时间", "事件编号", "事件类型")
    body = rows[1:]
    assert [r[0] for r in body] == [log[2].pk, log[1].pk]
    assert {r[3] for r in body} == {"登录失败"}
    assert {r[10] for r in body} == {"失败"}
    # Formula injection is neutralised: the dangerous values start with a quote and stay plain text.
    injected = next(r for r in body if r[0] == log[1].pk)
    assert injected[4] == '\'=HYPERLINK("http://evil")'
    assert injected[11] == "'@SUM(1+1)"
    assert injected[6] == "甲一社区"
    assert next(r for r in body if r[0] == log[2].pk)[11] == "'-2+3"
    assert all(cell.data_type == "s" for row in sheet.iter_rows(min_row=2) for cell in row[1:2])

    exported = AuditEvent.objects.get(event_name=AUDIT_LOG_EXPORTED.name)
    assert exported.actor_name == "auditor"
    assert exported.after == {"filter": {"event_type": "accounts.login.failed"}, "rows": 2}
    assert services.verify_chain().ok


def test_export_everything(auditor, log):
    sheet = _workbook(client_for(auditor).get("/audit/export/"))
    assert sheet.max_row == 1 + len(log)


def test_export_with_an_invalid_filter_goes_back(auditor, log):
    response = client_for(auditor).get("/audit/export/", {"date_from": "2026-02-01", "date_to": "2026-01-01"})
    assert response.status_code == 302
    assert not AuditEvent.objects.filter(event_name=AUDIT_LOG_EXPORTED.name).exists()


def test_api_lists_with_filters(auditor, log):
    api = api_client_for(auditor)
    response = api.get("/api/v1/audit-events/", {"actor": "zhang"})
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [r["id"] for r in rows] == [log[3].pk, log[2].pk, log[0].pk]
    assert rows[0]["event_label"] == "修改组织节点" and rows[0]["org_name"] == "甲一社区"
    response = api.get("/api/v1/audit-events/", {"result": "failure", "event_type": "accounts.login.failed"})
    assert [r["id"] for r in response.json()["results"]] == [log[2].pk, log[1].pk]
    assert api.get("/api/v1/audit-events/", {"date_from": "not a date"}).status_code == 400
    detail = api.get(f"/api/v1/audit-events/{log[1].pk}/")
    assert detail.status_code == 200 and detail.json()["message"] == "@SUM(1+1)"


def test_api_viewing_is_audited_once_per_query(auditor, log):
    api = api_client_for(auditor)
    api.get("/api/v1/audit-events/", {"limit": 2})
    api.get("/api/v1/audit-events/", {"limit": 2, "offset": 2})
    assert AuditEvent.objects.filter(event_name=AUDIT_LOG_VIEWED.name).count() == 1
    api.get("/api/v1/audit-events/", {"actor": "zhang"})
    assert AuditEvent.objects.filter(event_name=AUDIT_LOG_VIEWED.name).count() == 2


def test_api_is_documented():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/v1/audit-events/"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {
        "date_from",
        "date_to",
        "actor",
        "org",
        "event_type",
        "target_type",
        "target_id",
        "result",
    } <= names
    assert "/api/v1/audit-events/{id}/" in schema["paths"]
    assert "post" not in schema["paths"]["/api/v1/audit-events/"]
