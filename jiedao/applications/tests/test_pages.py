"""Tracking without login, staff pages and the scope contract."""

from __future__ import annotations

import re

import pytest
from django.contrib import messages
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpResponse
from django.test import Client, RequestFactory

from jiedao.applications import services
from jiedao.applications.choices import ApplicationStatus
from jiedao.applications.models import Application
from jiedao.applications.tests.factories import (
    CLERK_PERMISSIONS,
    EXE,
    PDF,
    local,
    make_item,
    make_resident,
    walk_in,
)
from jiedao.core.testing import ScopedModelContract, client_for, make_user
from jiedao.sms.models import OutboundMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(tree):
    return make_user(tree.community_a1, *CLERK_PERMISSIONS, "applications.extend_application")


@pytest.fixture
def application(clerk, tree):
    return walk_in(clerk, make_item(tree.community_a1), phone="13800138000")


def track(client, code, phone, ip="10.1.1.1"):
    return client.post("/hall/track/", {"code": code, "phone": phone}, REMOTE_ADDR=ip)


class TestTracking:
    def test_right_code_and_phone_show_status_history_and_due_date(self, application, clerk):
        services.application_accept(actor=clerk, application=application, at=local(2026, 3, 2, 10))
        response = track(Client(), application.tracking_code.lower(), "138 0013 8000")
        body = response.content.decode()
        assert response.status_code == 200
        assert "已受理，办理中" in body and "2026-03-16" in body and "窗口登记" in body
        assert clerk.full_name not in body and clerk.username not in body

    def test_wrong_code_and_wrong_phone_give_the_same_message(self, application):
        client = Client()
        forged = track(client, "ABCDEFGHJKLM", "13800138000").content.decode()
        wrong_phone = track(client, application.tracking_code, "13900000000").content.decode()
        garbage = track(client, application.tracking_code, "abc").content.decode()
        for body in (forged, wrong_phone, garbage):
            assert "查询码或手机号码不正确" in body
            assert application.item.name not in body
            assert "已提交" not in body

    def test_each_visitor_gets_own_csrf_token_and_own_result_from_the_cached_page(
        self, application, clerk, tree
    ):
        other = walk_in(clerk, make_item(tree.community_a1, name="居住证办理"), phone="13900139000")
        pages = []
        for code, phone in ((application.tracking_code, "13800138000"), (other.tracking_code, "13900139000")):
            visitor = Client(enforce_csrf_checks=True)
            page = visitor.get("/hall/track/")
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
            assert "csrf-slot" not in page.content.decode()
            refused = visitor.post("/hall/track/", {"code": code, "phone": phone}, REMOTE_ADDR="10.4.4.4")
            assert refused.status_code == 403
            found = visitor.post(
                "/hall/track/",
                {"code": code, "phone": phone, "csrfmiddlewaretoken": token},
                REMOTE_ADDR="10.4.4.4",
            )
            assert found.status_code == 200
            assert {"private", "no-store"} <= {part.strip() for part in found["Cache-Control"].split(",")}
            pages.append((visitor.cookies["csrftoken"].value, found.content.decode()))
        assert pages[0][0] != pages[1][0]
        assert application.item.name in pages[0][1] and "居住证办理" not in pages[0][1]
        assert "居住证办理" in pages[1][1] and application.item.name not in pages[1][1]
        assert pages[1][1].count('data-testid="status"') == 1

    def test_pending_message_is_shown_on_the_tracking_page(self, application):
        """The cached page has no messages: a visitor with one pending gets the page rendered for them."""
        storage = CookieStorage(RequestFactory().get("/"))
        carrier = HttpResponse()
        storage._store([Message(messages.SUCCESS, "您的异议已提交。")], carrier)
        visitor = Client()
        visitor.get("/hall/track/")  # the cached page exists
        visitor.cookies["messages"] = carrier.cookies["messages"].value
        assert "您的异议已提交。" in visitor.get("/hall/track/").content.decode()
        assert "您的异议已提交。" not in visitor.get("/hall/track/").content.decode()

    def test_rate_limit_per_address(self, application):
        client = Client()
        for _ in range(10):
            track(client, "ABCDEFGHJKLM", "13800138000", ip="10.2.2.2")
        body = track(client, application.tracking_code, "13800138000", ip="10.2.2.2").content.decode()
        assert "查询过于频繁" in body and application.item.name not in body
        other = track(client, application.tracking_code, "13800138000", ip="10.3.3.3").content.decode()
        assert application.item.name in other


class TestStaffPages:
    def test_walk_in_registration_with_upload(self, clerk, tree):
        from django.core.files.uploadedfile import SimpleUploadedFile

        item = make_item(tree.community_a1)
        client = client_for(clerk)
        assert client.get(f"/hall/staff/applications/new/?item={item.pk}").status_code == 200
        data = {
            "item": item.pk,
            "applicant_name": "孙七",
            "applicant_id_number": "",
            "applicant_phone": "13700137000",
            "other": [SimpleUploadedFile("a.pdf", EXE)],
        }
        response = client.post("/hall/staff/applications/new/", data)
        body = response.content.decode()
        assert response.status_code == 200
        assert "请填写申请人身份证件号码" in body
        import datetime as dt

        from jiedao.registry.validators import make_id_number

        data["applicant_id_number"] = make_id_number("110105", dt.date(1970, 1, 1), 7)
        data["other"] = [SimpleUploadedFile("a.pdf", EXE)]
        body = client.post("/hall/staff/applications/new/", data).content.decode()
        assert "不是 PDF 文件或照片" in body and not Application.objects.exists()
        data["other"] = [SimpleUploadedFile("a.pdf", PDF)]
        response = client.post("/hall/staff/applications/new/", data)
        application = Application.objects.get()
        assert response.status_code == 302 and response["Location"].endswith(f"/{application.pk}/")
        assert application.channel == "window" and application.created_by == clerk
        download = client.get(
            f"/hall/staff/applications/{application.pk}/materials/{application.materials.get().pk}/"
        )
        assert download.status_code == 200 and b"".join(download.streaming_content) == PDF

    def test_detail_actions_accept_correct_conclude(self, clerk, application):
        client = client_for(clerk)
        page = client.get(f"/hall/staff/applications/{application.pk}/").content.decode()
        assert "受理" in page and "一次性告知补正" in page
        response = client.post(f"/hall/staff/applications/{application.pk}/correct/", {"items": "\n \n"})
        assert "一次性告知" in response.content.decode() and response.status_code == 200
        client.post(f"/hall/staff/applications/{application.pk}/accept/")
        application.refresh_from_db()
        assert application.status == ApplicationStatus.ACCEPTED
        response = client.post(
            f"/hall/staff/applications/{application.pk}/correct/", {"items": "户口簿\n结婚证复印件"}
        )
        application.refresh_from_db()
        assert application.correction_items == ["户口簿", "结婚证复印件"]
        page = client.get(f"/hall/staff/applications/{application.pk}/").content.decode()
        assert "待补正" in page and "结婚证复印件" in page and "/conclude/" not in page
        response = client.post(
            f"/hall/staff/applications/{application.pk}/conclude/", {"outcome": "approved", "text": "同意"}
        )
        assert "不能办结" in response.content.decode()
        assert Application.objects.get(pk=application.pk).status == ApplicationStatus.CORRECTION_REQUESTED

    def test_list_shows_clock_colour_and_filters(self, clerk, application, tree):
        services.application_accept(actor=clerk, application=application)
        other = walk_in(clerk, make_item(tree.community_a1))
        client = client_for(clerk)
        body = client.get("/hall/staff/applications/").content.decode()
        assert application.tracking_code in body and other.tracking_code in body and "正常" in body
        body = client.get("/hall/staff/applications/?clock=green").content.decode()
        assert application.tracking_code in body and other.tracking_code not in body
        body = client.get("/hall/staff/applications/?status=submitted").content.decode()
        assert application.tracking_code not in body and other.tracking_code in body

    def test_home_panel_counts_pending(self, clerk, application):
        body = client_for(clerk).get("/workbench/").content.decode()
        assert "待受理办件" in body

    def test_extend_without_permission_is_forbidden(self, tree, application, clerk):
        services.application_accept(actor=clerk, application=application)
        plain = make_user(tree.community_a1, *CLERK_PERMISSIONS)
        response = client_for(plain).post(
            f"/hall/staff/applications/{application.pk}/extend/", {"days": 3, "reason": "复杂"}
        )
        assert response.status_code == 403

    def test_community_clerk_cannot_act_on_another_community(self, tree, application):
        other = make_user(tree.community_a2, *CLERK_PERMISSIONS)
        client = client_for(other)
        assert client.get(f"/hall/staff/applications/{application.pk}/").status_code == 404
        assert client.post(f"/hall/staff/applications/{application.pk}/accept/").status_code == 404
        assert Application.objects.get(pk=application.pk).status == ApplicationStatus.SUBMITTED
        assert not OutboundMessage.objects.exists()


class TestApplicationScope(ScopedModelContract):
    view_permission = "applications.view_application"
    api_list_url = "/api/v1/applications/"

    def make_object(self, org):
        return Application.objects.create(
            org=org,
            item=make_item(org),
            resident=make_resident(),
            applicant_name="周八",
            applicant_phone="13800138000",
            applicant_phone_hash="x",
            applicant_phone_masked="138****8000",
            channel="online",
            tracking_code=services.new_tracking_code(),
            status=ApplicationStatus.SUBMITTED,
        )

    def detail_url(self, obj):
        return f"/hall/staff/applications/{obj.pk}/"

    def api_detail_url(self, obj):
        return f"/api/v1/applications/{obj.pk}/"


def test_clerk_of_another_subdistrict_gets_404(tree, application):
    other = make_user(tree.community_b1, *CLERK_PERMISSIONS)
    assert client_for(other).get(f"/hall/staff/applications/{application.pk}/").status_code == 404
    assert (
        application.tracking_code not in client_for(other).get("/hall/staff/applications/").content.decode()
    )


class TestInquiryScope(ScopedModelContract):
    view_permission = "applications.view_inquiry"

    def make_object(self, org):
        from jiedao.applications.models import Inquiry

        owner = make_user(org)
        return Inquiry.objects.create(
            org=org, created_by=owner, owner=owner, visitor_name="甲", question="问"
        )

    def detail_url(self, obj):
        return f"/hall/staff/inquiries/{obj.pk}/"
