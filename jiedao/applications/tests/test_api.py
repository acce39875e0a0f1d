"""The applications API (staff, scoped) and the public tracking endpoint."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from jiedao.applications.choices import ApplicationStatus
from jiedao.applications.models import Application
from jiedao.applications.tests.factories import CLERK_PERMISSIONS, EXE, PDF, make_item, walk_in
from jiedao.core.testing import api_client_for, make_user
from jiedao.registry.validators import make_id_number

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(tree):
    return make_user(tree.community_a1, *CLERK_PERMISSIONS, "applications.extend_application")


def test_submit_with_files_and_walk_through_the_transitions(clerk, tree):
    import datetime as dt

    item = make_item(tree.community_a1)
    client = api_client_for(clerk)
    data = {
        "item": item.pk,
        "applicant_name": "吴九",
        "applicant_id_number": make_id_number("110105", dt.date(1960, 2, 2), 9),
        "applicant_phone": "13600136000",
        "files": [SimpleUploadedFile("a.pdf", EXE)],
    }
    response = client.post("/api/v1/applications/submit/", data, format="multipart")
    assert response.status_code == 400 and "不是 PDF" in response.json()["detail"]
    data["files"] = [SimpleUploadedFile("a.pdf", PDF)]
    response = client.post("/api/v1/applications/submit/", data, format="multipart")
    assert response.status_code == 201, response.json()
    pk = response.json()["id"]
    assert client.get(f"/api/v1/applications/{pk}/materials/").json()[0]["content_type"] == "application/pdf"
    response = client.post(f"/api/v1/applications/{pk}/correct/", {"items": []}, format="json")
    assert response.status_code == 400 and "一次性告知" in response.json()["detail"]
    response = client.post(f"/api/v1/applications/{pk}/conclude/", {"outcome": "approved"}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "bad_status"
    assert client.post(f"/api/v1/applications/{pk}/accept/").json()["clock_status"] == "green"
    response = client.post(f"/api/v1/applications/{pk}/extend/", {"days": 2, "reason": "复杂"}, format="json")
    assert response.status_code == 200 and response.json()["pending_extension"]["days"] == 2
    response = client.post(f"/api/v1/applications/{pk}/suspend/", {"reason": "鉴定"}, format="json")
    assert response.json()["status"] == ApplicationStatus.SUSPENDED
    assert client.post(f"/api/v1/applications/{pk}/resume/").json()["status"] == ApplicationStatus.ACCEPTED
    response = client.post(
        f"/api/v1/applications/{pk}/conclude/", {"outcome": "approved", "text": "准予"}, format="json"
    )
    assert response.json()["status"] == ApplicationStatus.CONCLUDED_APPROVED
    assert response.json()["clock_status"] == "stopped"


def test_repeated_tracking_look_ups_are_prepared_on_the_server_on_postgresql(clerk, tree):
    """The public look-up keeps pace under load because PostgreSQL plans it once per connection."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are a PostgreSQL feature")
    application = walk_in(clerk, make_item(tree.community_a1), phone="13800138000")
    client = APIClient()
    for _ in range(6):
        response = client.post(
            "/api/v1/public/track/",
            {"code": application.tracking_code, "phone": "13800138000"},
            format="json",
        )
        assert response.status_code == 200
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%WHERE a.tracking_code =%"],
        )
        assert cursor.fetchone()[0] == 1


def test_prepared_statements_can_be_turned_off_for_a_transaction_pooler(monkeypatch):
    from jiedao.settings.base import _database_from_env

    monkeypatch.setenv("DATABASE_URL", "postgres://jiedao@db.example:5432/jiedao?sslmode=require")
    monkeypatch.delenv("JIEDAO_DB_PREPARED_STATEMENTS", raising=False)
    # The URL's own options (TLS here) are kept.
    assert _database_from_env()["OPTIONS"] == {
        "sslmode": "require",
        "server_side_binding": True,
        "prepare_threshold": 5,
    }
    for off in ("0", "false", " Off "):
        monkeypatch.setenv("JIEDAO_DB_PREPARED_STATEMENTS", off)
        assert _database_from_env()["OPTIONS"] == {"sslmode": "require"}


def test_other_community_gets_404_on_actions(clerk, tree):
    application = walk_in(clerk, make_item(tree.community_a1))
    other = api_client_for(make_user(tree.community_a2, *CLERK_PERMISSIONS))
    assert other.post(f"/api/v1/applications/{application.pk}/accept/").status_code == 404
    assert Application.objects.get(pk=application.pk).status == ApplicationStatus.SUBMITTED


def test_public_track_endpoint(clerk, tree):
    application = walk_in(clerk, make_item(tree.community_a1), phone="13800138000")
    client = APIClient()
    response = client.post(
        "/api/v1/public/track/", {"code": application.tracking_code, "phone": "13800138000"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == ApplicationStatus.SUBMITTED
    assert response.json()["status_display"] == "已提交，待受理"
    assert "actor" not in str(response.json()["history"])
    # Times in China time, the same instants the staff see.
    staff_view = api_client_for(clerk).get(f"/api/v1/applications/{application.pk}/").json()
    first = response.json()["history"][0]
    assert first["action"] == "窗口登记" and first["at"].endswith("+08:00")
    assert dt.datetime.fromisoformat(first["at"]) == application.events.order_by("at").first().at
    assert response.json()["due_at"] == staff_view["due_at"]
    wrong = client.post(
        "/api/v1/public/track/", {"code": "ABCDEFGHJKLM", "phone": "13800138000"}, format="json"
    )
    wrong_phone = client.post(
        "/api/v1/public/track/", {"code": application.tracking_code, "phone": "13900139000"}, format="json"
    )
    missing = client.post("/api/v1/public/track/", {"code": application.tracking_code}, format="json")
    too_long = client.post("/api/v1/public/track/", {"code": "A" * 21, "phone": "13800138000"}, format="json")
    assert missing.status_code == too_long.status_code == 400
    assert missing.json()["errors"] == {"phone": ["请填写此项。"]}
    assert too_long.json()["errors"] == {"code": ["不能超过 20 个字符。"]}
    assert wrong.status_code == wrong_phone.status_code == 400
    assert wrong.json() == wrong_phone.json()
    assert "查询码或手机号码不正确" in wrong.json()["detail"]
    for _ in range(8):
        client.post("/api/v1/public/track/", {"code": "ABCDEFGHJKLM", "phone": "13800138000"}, format="json")
    limited = client.post(
        "/api/v1/public/track/", {"code": application.tracking_code, "phone": "13800138000"}, format="json"
    )
    assert limited.status_code == 429 and "过于频繁" in limited.json()["detail"]
    assert limited.json()["code"] == "rate_limited" and int(limited["Retry-After"]) > 0


def test_window_api_files_name_their_materials_and_the_missing_ones_are_listed(clerk, tree):
    from jiedao.catalog.models import Material

    item = make_item(tree.community_a1)
    id_card = Material.objects.create(item=item, name="申请人居民身份证", required=True)
    Material.objects.create(item=item, name="户口簿", required=True)
    Material.objects.create(item=item, name="病历资料", required=False)
    other_item = make_item(tree.community_a1)
    foreign = Material.objects.create(item=other_item, name="营业执照", required=True)
    client = api_client_for(clerk)
    data = {
        "item": item.pk,
        "applicant_name": "吴九",
        "applicant_id_number": make_id_number("110105", dt.date(1960, 2, 2), 9),
        "applicant_phone": "13600136000",
        "files": [SimpleUploadedFile("a.pdf", PDF), SimpleUploadedFile("b.pdf", PDF)],
        "materials": [foreign.pk, 0],
    }
    refused = client.post("/api/v1/applications/submit/", data, format="multipart")
    assert refused.status_code == 400
    assert refused.json()["errors"]["materials"] == [f"第 1 个文件所标的材料不是“{item.name}”的申请材料。"]
    assert not Application.objects.exists()

    data.update(
        files=[SimpleUploadedFile("a.pdf", PDF), SimpleUploadedFile("b.pdf", PDF)], materials=[id_card.pk, 0]
    )
    response = client.post("/api/v1/applications/submit/", data, format="multipart")
    assert response.status_code == 201, response.json()
    assert response.json()["missing_materials"] == ["户口簿"]
    pk = response.json()["id"]
    labels = [m["label"] for m in client.get(f"/api/v1/applications/{pk}/materials/").json()]
    assert labels == ["申请人居民身份证", "b.pdf"]
    listed = client.get("/api/v1/applications/").json()["results"][0]
    assert listed["missing_materials"] == ["户口簿"]


def test_the_staff_page_names_the_required_materials_not_handed_in(clerk, tree):
    from jiedao.catalog.models import Material
    from jiedao.core.testing import client_for

    item = make_item(tree.community_a1)
    Material.objects.create(item=item, name="户口簿", required=True)
    application = walk_in(clerk, item, name="吴九")
    page = client_for(clerk).get(f"/hall/staff/applications/{application.pk}/").content.decode()
    assert "尚未收取的必须材料：户口簿。" in page


def test_an_application_that_ended_no_longer_asks_for_its_missing_materials(clerk, tree):
    from jiedao.applications import services
    from jiedao.catalog.models import Material
    from jiedao.core.testing import client_for

    item = make_item(tree.community_a1)
    Material.objects.create(item=item, name="户口簿", required=True)
    application = walk_in(clerk, item, name="吴九")
    services.application_withdraw(actor=clerk, application=application, reason="申请人书面撤回")
    page = client_for(clerk).get(f"/hall/staff/applications/{application.pk}/").content.decode()
    assert "已撤回" in page and "尚未收取的必须材料" not in page


def test_actions_answering_a_list_are_documented_as_a_list_and_the_notice_as_a_pdf():
    """materials/ and extensions/ answer a plain list, as notices/ does; the schema said {count, results} with
    limit and offset for the first two."""
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    for path in ("materials", "extensions", "notices"):
        operation = paths[f"/api/v1/applications/{{id}}/{path}/"]["get"]
        assert operation["responses"]["200"]["content"]["application/json"]["schema"]["type"] == "array", path
        assert not {p["name"] for p in operation.get("parameters", [])} & {"limit", "offset"}, path
    pdf = paths["/api/v1/applications/{id}/notices/{kind}/"]["get"]["responses"]
    assert set(pdf["200"]["content"]) == {"application/pdf"} and pdf["400"] and pdf["404"]


def test_the_list_filters_like_the_staff_page_and_refuses_unknown_values(clerk, tree):
    """An integrator (the district's supervision platform) asks for the overdue applications of one
    community, of one item: the filters of the staff page, and a wrong value is a 400 naming the parameter
    instead of a list that looks filtered."""
    from jiedao.applications import services
    from jiedao.applications.tests.factories import local
    from jiedao.timelimits.services import sweep_clocks

    supervisor = make_user(tree.subdistrict_a, "applications.view_application")
    late_item = make_item(tree.community_a1)
    other_item = make_item(tree.community_a2)
    late = walk_in(clerk, late_item, at=local(2026, 9, 1))
    services.application_accept(actor=clerk, application=late, at=local(2026, 9, 1))
    on_time = walk_in(clerk, late_item)
    services.application_accept(actor=clerk, application=on_time)
    elsewhere = walk_in(make_user(tree.community_a2, *CLERK_PERMISSIONS), other_item)
    sweep_clocks()
    api = api_client_for(supervisor)

    def ids(query: str) -> set[int]:
        response = api.get(f"/api/v1/applications/?{query}")
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    assert ids("") == {late.pk, on_time.pk, elsewhere.pk}
    assert ids("clock=red") == {late.pk}
    assert ids(f"org={tree.community_a1.pk}") == {late.pk, on_time.pk}
    assert ids(f"org={tree.community_a2.pk}&status=submitted") == {elsewhere.pk}
    assert ids(f"item={late_item.pk}&clock=green") == {on_time.pk}
    assert ids(f"search={late.tracking_code.lower()}") == {late.pk}

    for query, name in (
        ("clock=purple", "clock"),
        (f"org={tree.subdistrict_b.pk}", "org"),
        ("org=abc", "org"),
        ("extension=yes", "extension"),
    ):
        response = api.get(f"/api/v1/applications/?{query}")
        assert response.status_code == 400 and name in response.json()["errors"], (query, response.content)
    assert (
        "不在您的管辖范围内" in api.get(f"/api/v1/applications/?org={tree.subdistrict_b.pk}").json()["detail"]
    )
