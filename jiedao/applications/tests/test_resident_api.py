"""The resident API (/api/v1/resident/): SMS sign-in for a token, the resident's own applications by API with
the resident pages' rules, and the wall between resident tokens and staff credentials."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.utils import timezone
from rest_framework.test import APIClient

from jiedao.applications import services
from jiedao.applications.choices import ApplicationStatus, Outcome
from jiedao.applications.models import (
    Application,
    ApplicationMaterial,
    Rating,
    Resident,
    ResidentToken,
    SmsCode,
)
from jiedao.applications.tests.factories import (
    CLERK_PERMISSIONS,
    EXE,
    PDF,
    PNG,
    last_sms_code,
    make_item,
    make_resident,
    pdf,
)
from jiedao.audit.models import AuditEvent
from jiedao.catalog.choices import Availability
from jiedao.catalog.models import Material
from jiedao.core.scope import DataScope
from jiedao.core.testing import api_client_for, client_for, make_user
from jiedao.parameters.models import SystemParameter
from jiedao.registry.validators import make_id_number

pytestmark = pytest.mark.django_db

PHONE = "13912345678"
BASE = "/api/v1/resident"


@pytest.fixture
def clerk(tree):
    return make_user(tree.community_a1, *CLERK_PERMISSIONS)


@pytest.fixture
def item(tree):
    item = make_item(tree.community_a1)
    item.id_card = Material.objects.create(item=item, name="申请人居民身份证", required=True, sort_order=1)
    return item


def client(token: str | None = None, ip: str = "10.1.1.1", **extra) -> APIClient:
    api = APIClient(REMOTE_ADDR=ip, **extra)
    if token:
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api


def sign_in(phone: str = PHONE, ip: str = "10.1.1.1") -> str:
    """Code → token through the API, the code read from the SMS outbox as the resident reads their phone."""
    api = client(ip=ip)
    assert api.post(f"{BASE}/auth/code/", {"phone": phone}, format="json").status_code == 200
    response = api.post(f"{BASE}/auth/token/", {"phone": phone, "code": last_sms_code(phone)}, format="json")
    assert response.status_code == 200, response.json()
    return response.json()["token"]


def verified_token(phone: str = PHONE, name: str = "赵六") -> str:
    token = sign_in(phone)
    number = make_id_number("110105", dt.date(1990, 1, 1), int(phone[-3:]))
    response = client(token).post(
        f"{BASE}/me/identity/", {"real_name": name, "id_number": number}, format="json"
    )
    assert response.status_code == 200, response.json()
    return token


def token_of(resident: Resident) -> str:
    token, _record = services.resident_token_issue(resident=resident)
    return token


def apply(token, item, *files, materials=None, **fields):
    data = {"item": item.pk, "files": list(files) or [pdf()], **fields}
    if materials is not None:
        data["materials"] = materials
    return client(token).post(f"{BASE}/applications/", data, format="multipart")


def test_the_whole_loop_by_api_from_sms_code_to_a_single_rating(tree, clerk, item):
    api = client()
    response = api.post(f"{BASE}/auth/code/", {"phone": PHONE}, format="json")
    assert response.status_code == 200 and response.json()["phone_masked"] == "139****5678"
    assert "验证码已发送至 139****5678" in response.json()["detail"]
    response = api.post(f"{BASE}/auth/token/", {"phone": PHONE, "code": last_sms_code(PHONE)}, format="json")
    assert response.status_code == 200
    body = response.json()
    token = body["token"]
    assert body["resident"] == {
        "phone_masked": "139****5678",
        "real_name": "",
        "id_number_masked": "",
        "verified": False,
        "verified_at": None,
        "created_at": body["resident"]["created_at"],
    }
    # Only the hash is kept, and the token lives the parameter's 7 days.
    record = ResidentToken.objects.get()
    assert record.token_hash == hashlib.sha256(token.encode()).hexdigest() and token not in record.token_hash
    assert record.expires_at - record.created_at == dt.timedelta(days=7)
    assert dt.datetime.fromisoformat(body["expires_at"]) == record.expires_at

    mine = client(token)
    response = apply(token, item, materials=[item.id_card.pk])
    assert response.status_code == 400 and response.json()["code"] == "not_verified"
    assert response.json()["detail"] == "请先完成实名认证再申请。"
    number = make_id_number("110105", dt.date(1990, 1, 1), 5)
    response = mine.post(f"{BASE}/me/identity/", {"real_name": "赵六", "id_number": number}, format="json")
    assert response.status_code == 200 and response.json()["verified"] is True
    profile = mine.get(f"{BASE}/me/").json()
    assert profile["real_name"] == "赵六" and profile["id_number_masked"].startswith("110105")
    assert number not in str(profile) and PHONE not in str(profile) and "*" in profile["id_number_masked"]

    # The guide's 必须 material must come with an online application, as on the page.
    response = mine.post(f"{BASE}/applications/", {"item": item.pk}, format="multipart")
    assert response.status_code == 400
    assert response.json()["errors"]["files"] == ["请上传“申请人居民身份证”，这是必须提交的材料。"]
    response = apply(token, item)
    assert response.status_code == 400
    assert response.json()["errors"]["files"] == ["请上传“申请人居民身份证”，这是必须提交的材料。"]
    assert not Application.objects.exists()
    response = apply(token, item, pdf("身份证.pdf"), materials=[item.id_card.pk])
    assert response.status_code == 201, response.json()
    detail = response.json()
    assert detail["status"] == ApplicationStatus.SUBMITTED and detail["status_display"] == "已提交，待受理"
    assert detail["clock_status"] is None and detail["can_withdraw"] is True and detail["can_rate"] is False
    assert [(m["label"], m["content_type"]) for m in detail["materials"]] == [
        ("申请人居民身份证", "application/pdf")
    ]
    assert [h["action"] for h in detail["history"]] == ["提交申请"]
    application = Application.objects.get(pk=detail["id"])
    assert application.resident.phone == PHONE and application.channel == "online"

    # Staff accept through the staff service; the resident sees it accepted, with its clock and due date.
    services.application_accept(actor=clerk, application=application)
    response = mine.get(f"{BASE}/applications/{application.pk}/")
    detail = response.json()
    assert detail["status"] == ApplicationStatus.ACCEPTED and detail["status_display"] == "已受理，办理中"
    assert detail["clock_status"] == "green" and detail["due_at"] and detail["can_withdraw"] is False
    assert [h["action"] for h in detail["history"]] == ["提交申请", "受理"]
    # China time, the instants the staff see.
    assert detail["history"][1]["at"].endswith("+08:00")
    assert (
        dt.datetime.fromisoformat(detail["history"][1]["at"]) == application.events.get(action="accepted").at
    )
    assert clerk.username not in str(detail) and clerk.full_name not in str(detail)
    english = mine.get(f"{BASE}/applications/{application.pk}/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert (
        english["history"][1]["action"] != "受理"
        and english["history"][1]["at"] == detail["history"][1]["at"]
    )
    listed = mine.get(f"{BASE}/applications/").json()
    assert listed["count"] == 1 and listed["results"][0]["clock_status"] == "green"
    assert listed["results"][0]["due_at"] == detail["due_at"]

    # Once accepted it is withdrawn only in writing at the window; a rating waits for the conclusion.
    response = mine.post(f"{BASE}/applications/{application.pk}/withdraw/", {"confirm": True}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "accepted"
    assert "不能在网上撤回" in response.json()["detail"]
    response = mine.post(f"{BASE}/applications/{application.pk}/rate/", {"level": 5}, format="json")
    assert response.status_code == 400 and response.json()["detail"] == "办件办结后才能评价。"

    services.application_conclude(actor=clerk, application=application, outcome=Outcome.APPROVED, text="准予")
    detail = mine.get(f"{BASE}/applications/{application.pk}/").json()
    assert detail["status"] == ApplicationStatus.CONCLUDED_APPROVED and detail["can_rate"] is True
    response = mine.post(
        f"{BASE}/applications/{application.pk}/rate/", {"level": 5, "comment": "很快"}, format="json"
    )
    assert response.status_code == 200
    assert (
        response.json()["rating"]["level"] == 5 and response.json()["rating"]["level_display"] == "非常满意"
    )
    assert response.json()["can_rate"] is False
    again = mine.post(f"{BASE}/applications/{application.pk}/rate/", {"level": 1}, format="json")
    assert again.status_code == 400 and again.json()["code"] == "already_rated"
    assert again.json()["detail"] == "该办件已评价，不能重复评价。"
    assert Rating.objects.get(application=application).level == 5


def test_a_wrong_or_expired_code_is_refused_and_codes_are_rate_limited_like_the_page(tree):
    api = client(ip="10.2.2.2")
    assert api.post(f"{BASE}/auth/code/", {"phone": PHONE}, format="json").status_code == 200
    code = last_sms_code(PHONE)
    again = api.post(f"{BASE}/auth/code/", {"phone": PHONE}, format="json")
    assert again.status_code == 429 and again.json()["code"] == "rate_limited"
    assert again.json()["detail"] == "验证码已发送，请 60 秒后再试。"
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        response = api.post(f"{BASE}/auth/token/", {"phone": PHONE, "code": wrong}, format="json")
        assert response.status_code == 400 and response.json()["code"] == "bad_code"
        assert response.json()["errors"] == {"code": ["验证码错误或已失效，请重新获取。"]}
    # Five wrong tries spend the code: the right one no longer signs in.
    response = api.post(f"{BASE}/auth/token/", {"phone": PHONE, "code": code}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "bad_code"
    assert not ResidentToken.objects.exists() and not Resident.objects.exists()

    other = "13912340000"
    assert (
        client(ip="10.3.3.3").post(f"{BASE}/auth/code/", {"phone": other}, format="json").status_code == 200
    )
    SmsCode.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = api.post(f"{BASE}/auth/token/", {"phone": other, "code": last_sms_code(other)}, format="json")
    assert response.status_code == 400 and "验证码错误或已失效" in response.json()["detail"]
    assert not ResidentToken.objects.exists()

    landline = api.post(f"{BASE}/auth/code/", {"phone": "010-12345678"}, format="json")
    assert landline.status_code == 400 and "固定电话" in landline.json()["errors"]["phone"][0]
    busy = client(ip="10.4.4.4")
    for n in range(10):
        assert busy.post(f"{BASE}/auth/code/", {"phone": f"1371234{n:04d}"}, format="json").status_code == 200
    response = busy.post(f"{BASE}/auth/code/", {"phone": "13712349999"}, format="json")
    assert response.status_code == 429 and response.json()["detail"] == "获取验证码过于频繁，请一小时后再试。"


def test_tokens_expire_end_on_logout_on_a_phone_change_and_with_the_closed_account(tree):
    token = sign_in()
    SmsCode.objects.update(created_at=timezone.now() - dt.timedelta(minutes=2))  # the 60 s between codes
    other_device = sign_in()
    assert other_device != token and ResidentToken.objects.count() == 2
    assert client(token).get(f"{BASE}/me/").status_code == 200

    response = client(token).post(f"{BASE}/auth/logout/")
    assert response.status_code == 204
    refused = client(token).get(f"{BASE}/me/")
    assert refused.status_code == 401 and refused.json() == {
        "code": "invalid_token",
        "detail": "令牌无效或已失效。",
    }
    assert refused["WWW-Authenticate"].startswith("Bearer")
    assert client(other_device).get(f"{BASE}/me/").status_code == 200  # the other device stays signed in

    ResidentToken.objects.filter(revoked_at__isnull=True).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    assert client(other_device).get(f"{BASE}/me/").status_code == 401

    # The parameter sets the lifetime.
    SystemParameter.objects.create(key="applications.resident_token_days", value=1)
    from jiedao.parameters.services import clear_cache

    clear_cache()
    resident = Resident.objects.get()
    token, record = services.resident_token_issue(resident=resident)
    assert record.expires_at - record.created_at == dt.timedelta(days=1)
    # Expired and signed-out tokens were cleared when this one was issued.
    assert list(ResidentToken.objects.values_list("pk", flat=True)) == [record.pk]

    # A phone change ends the tokens issued before it, as it ends web sessions.
    services.resident_phone_change_start(resident=resident, phone="13700001111", ip=None)
    services.resident_change_phone(
        resident=resident, new_phone="13700001111", code=last_sms_code("13700001111")
    )
    assert client(token).get(f"{BASE}/me/").status_code == 401
    SmsCode.objects.update(created_at=timezone.now() - dt.timedelta(minutes=2))
    token = sign_in("13700001111")
    assert client(token).get(f"{BASE}/me/").json()["phone_masked"] == "137****1111"

    # Closing the account ends its tokens.
    SmsCode.objects.update(created_at=timezone.now() - dt.timedelta(minutes=2))
    services.resident_close_start(resident=resident, ip=None)
    services.resident_close(resident=Resident.objects.get(), code=last_sms_code("13700001111"))
    response = client(token).get(f"{BASE}/me/")
    assert response.status_code == 401 and not ResidentToken.objects.exists()


def test_the_daily_purge_deletes_expired_and_signed_out_tokens_and_keeps_live_ones(tree):
    def next_device() -> str:
        SmsCode.objects.update(created_at=timezone.now() - dt.timedelta(minutes=2))  # the 60 s between codes
        return sign_in()

    live = sign_in()
    signed_out, expired = next_device(), next_device()
    assert client(signed_out).post(f"{BASE}/auth/logout/").status_code == 204
    ResidentToken.objects.filter(token_hash=hashlib.sha256(expired.encode()).hexdigest()).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    assert ResidentToken.objects.count() == 3

    assert services.resident_tokens_purge() == 2
    assert ResidentToken.objects.count() == 1
    assert client(live).get(f"{BASE}/me/").status_code == 200


def test_an_api_sign_in_and_sign_out_are_audited_as_the_api_and_name_the_token_by_its_number(tree):
    auditor = make_user(
        tree.district, "audit.view_auditevent", scope=DataScope.ALL, username="auditor", admin_duty="audit"
    )
    app = client(HTTP_USER_AGENT="政务小程序/2.1")
    assert app.post(f"{BASE}/auth/code/", {"phone": PHONE}, format="json").status_code == 200
    token = app.post(
        f"{BASE}/auth/token/", {"phone": PHONE, "code": last_sms_code(PHONE)}, format="json"
    ).json()["token"]
    record = ResidentToken.objects.get()
    signed_up = AuditEvent.objects.get(event_name="applications.resident.signed_up")
    assert signed_up.after == {"sign_in_via": "群众接口（小程序、移动端）", "api_token": record.pk}
    assert signed_up.user_agent == "政务小程序/2.1"  # which client

    SmsCode.objects.update(created_at=timezone.now() - dt.timedelta(minutes=2))  # the 60 s between codes
    second = sign_in()
    logged_in = AuditEvent.objects.get(event_name="applications.resident.logged_in")
    assert logged_in.after == {
        "sign_in_via": "群众接口（小程序、移动端）",
        "api_token": ResidentToken.objects.latest("pk").pk,
    }

    assert client(token).post(f"{BASE}/auth/logout/").status_code == 204
    signed_out = AuditEvent.objects.get(event_name="applications.resident.api_logged_out")
    resident = Resident.objects.get()
    assert signed_out.before == {"api_token": record.pk} and signed_out.after is None
    assert signed_out.actor_name == f"resident:{resident.pk}" and signed_out.target_id == str(resident.pk)
    events = list(AuditEvent.objects.values("before", "after", "message"))
    assert token not in str(events) and second not in str(events)
    assert record.token_hash not in str(events)

    # What the auditor reads: the way in and the token's number, labelled.
    page = client_for(auditor).get(f"/audit/{signed_out.pk}/").content.decode()
    assert "群众退出接口登录" in page and "群众接口令牌编号（api_token）" in page
    page = client_for(auditor).get(f"/audit/{logged_in.pk}/").content.decode()
    assert "登录途径（sign_in_via）" in page and "群众接口（小程序、移动端）" in page

    # A signed-out, an expired and a purged token cannot sign out again: 401 in Chinese, nothing written.
    written = AuditEvent.objects.count()
    refused = client(token).post(f"{BASE}/auth/logout/")
    assert refused.status_code == 401 and refused.json() == {
        "code": "invalid_token",
        "detail": "令牌无效或已失效。",
    }
    ResidentToken.objects.filter(revoked_at__isnull=True).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    assert client(second).post(f"{BASE}/auth/logout/").json()["detail"] == "令牌无效或已失效。"
    assert services.resident_tokens_purge() == 2
    refused = client(second).post(f"{BASE}/auth/logout/")
    assert refused.status_code == 401 and refused.json()["detail"] == "令牌无效或已失效。"
    assert AuditEvent.objects.count() == written


def test_a_web_sign_in_is_audited_as_before_without_an_api_token(tree):
    services.resident_send_code(phone=PHONE, ip=None)
    services.resident_login(phone=PHONE, code=last_sms_code(PHONE))
    signed_up = AuditEvent.objects.get(event_name="applications.resident.signed_up")
    assert signed_up.after is None and not ResidentToken.objects.exists()


STAFF_SAMPLE = [
    ("get", "/api/v1/applications/"),
    ("get", "/api/v1/applications/statistics/"),
    ("post", "/api/v1/applications/submit/"),
    ("get", "/api/v1/persons/"),
    ("get", "/api/v1/users/"),
    ("get", "/api/v1/tasks/"),
    ("get", "/api/v1/service-items/"),
    ("get", "/api/v1/parameters/"),
]


def test_a_resident_token_is_refused_on_staff_endpoints(tree, clerk, item):
    resident = make_resident()
    token = token_of(resident)
    application = services.application_submit(
        resident=resident, item=item, uploads=[services.Upload(file=pdf(), material=item.id_card)]
    )
    sample = [*STAFF_SAMPLE, ("get", f"/api/v1/applications/{application.pk}/")]
    sample.append(("post", f"/api/v1/applications/{application.pk}/accept/"))
    for keyword in ("Bearer", "Token"):
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"{keyword} {token}")
        for method, url in sample:
            response = getattr(api, method)(url, format="json")
            assert response.status_code == 401, (keyword, url, response.status_code)
            assert response.json()["code"] in ("not_authenticated", "invalid_token")
    assert Application.objects.get(pk=application.pk).status == ApplicationStatus.SUBMITTED


def _routes(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _routes(entry.url_patterns, prefix + _bare(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + _bare(entry.pattern)


def _bare(pattern) -> str:
    return str(pattern).removeprefix("^").removesuffix("$")


_GROUP = re.compile(r"\(\?P<(\w+)>((?:[^()]|\([^()]*\))*)\)")
_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")


def _sample_value(name: str, pattern: str) -> str:
    if name == "format":
        return "json"
    if "|" in pattern:  # alternatives (a notice kind): the first one
        return pattern.strip("()").split("|")[0]
    return "1"


def _concrete(route: str) -> str:
    """An address the route matches: its parameters filled with sample values."""
    path = _GROUP.sub(lambda m: _sample_value(m[1], m[2]), route)  # regular expressions (routers)
    path = _CONVERTER.sub(lambda m: "x" if m[1] in ("str", "slug") else "1", path)  # path converters
    path = path.replace("\\.", ".").replace("/?", "/")
    return "/" + path


def test_no_staff_endpoint_answers_a_resident_token_with_success(tree, clerk, item):
    """Every address under /api/v1/ that is neither the resident API nor public, with every method."""
    resident = make_resident()
    token = token_of(resident)
    services.application_submit(
        resident=resident, item=item, uploads=[services.Upload(file=pdf(), material=item.id_card)]
    )
    addresses = sorted(
        {
            _concrete(route)
            for route in _routes(get_resolver().url_patterns)
            if route.startswith("api/v1/")
            and not route.startswith(("api/v1/resident/", "api/v1/public/", "api/v1/auth/token/"))
        }
    )
    assert len(addresses) > 50
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    checked = 0
    for address in addresses:
        resolve(address)  # a real route, not a 404 from a badly filled pattern
        for method in ("get", "post", "put", "patch", "delete", "options"):
            response = getattr(api, method)(address, {}, format="json")
            assert response.status_code in (401, 403, 405), (method, address, response.status_code)
            checked += 1
    assert checked == 6 * len(addresses)


def test_staff_credentials_are_refused_on_resident_endpoints(tree, clerk, item):
    staff = api_client_for(clerk)
    session = APIClient()
    session.force_login(clerk)
    from rest_framework.authtoken.models import Token

    bearer = APIClient()
    bearer.credentials(HTTP_AUTHORIZATION=f"Bearer {Token.objects.get(user=clerk).key}")
    for api in (staff, session, bearer, APIClient()):
        for method, url in [
            ("get", f"{BASE}/me/"),
            ("get", f"{BASE}/applications/"),
            ("get", f"{BASE}/applications/1/"),
            ("post", f"{BASE}/applications/"),
            ("post", f"{BASE}/auth/logout/"),
            ("post", f"{BASE}/me/identity/"),
        ]:
            response = getattr(api, method)(url, format="json")
            assert response.status_code == 401, (url, response.status_code)
            assert response.json()["code"] in ("not_authenticated", "invalid_token")
    assert not Application.objects.exists()


def test_another_residents_application_answers_404_to_every_action(tree, clerk, item):
    owner, stranger = make_resident(), make_resident()
    application = services.application_submit(
        resident=owner, item=item, uploads=[services.Upload(file=pdf(), material=item.id_card)]
    )
    api = client(token_of(stranger))
    assert api.get(f"{BASE}/applications/").json()["count"] == 0
    assert api.get(f"{BASE}/applications/{application.pk}/").status_code == 404
    for action, data, fmt in [
        ("withdraw", {"confirm": True}, "json"),
        ("rate", {"level": 1}, "json"),
        ("resubmit", {"files": [pdf()]}, "multipart"),
        ("supply-deferred", {"files": [pdf()], "materials": [item.id_card.pk]}, "multipart"),
    ]:
        response = api.post(f"{BASE}/applications/{application.pk}/{action}/", data, format=fmt)
        assert response.status_code == 404, action
        assert response.json()["code"] == "not_found"
    fresh = Application.objects.get(pk=application.pk)
    assert fresh.status == ApplicationStatus.SUBMITTED and fresh.materials.count() == 1
    assert client(token_of(owner)).get(f"{BASE}/applications/{application.pk}/").status_code == 200


def _stored_files(settings) -> list:
    root = settings.MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_a_file_that_is_not_pdf_jpeg_or_png_is_refused_and_nothing_is_stored(tree, item, settings):
    token = verified_token()
    response = apply(
        token,
        item,
        SimpleUploadedFile("身份证.pdf", EXE),
        SimpleUploadedFile("照片.png", PNG),
        materials=[item.id_card.pk, 0],
    )
    assert response.status_code == 400 and response.json()["code"] == "invalid"
    assert "不是 PDF" in response.json()["errors"]["files"][0]
    assert not Application.objects.exists() and not ApplicationMaterial.objects.exists()
    assert _stored_files(settings) == []
    # A material of another item is refused too, naming the file.
    other = Material.objects.create(item=make_item(tree.community_a1), name="别的材料", required=False)
    response = apply(token, item, pdf(), pdf(), materials=[item.id_card.pk, other.pk])
    assert response.status_code == 400
    assert response.json()["errors"]["materials"] == [f"第 2 个文件所标的材料不是“{item.name}”的申请材料。"]
    assert not Application.objects.exists() and _stored_files(settings) == []


def test_an_item_handled_only_at_a_window_is_refused(tree, settings):
    offline = make_item(tree.community_a1, availability=Availability.OFFLINE)
    Material.objects.create(item=offline, name="申请表", required=True)
    response = apply(verified_token(), offline)
    assert response.status_code == 400 and response.json()["code"] == "offline_only"
    assert response.json()["detail"] == services.offline_only_message(offline)
    assert "仅限窗口办理" in response.json()["detail"]
    assert not Application.objects.exists() and _stored_files(settings) == []
    without_files = client(verified_token("13912340002")).post(
        f"{BASE}/applications/", {"item": offline.pk}, format="multipart"
    )
    assert without_files.status_code == 400 and without_files.json()["code"] == "offline_only"
    unpublished = make_item(tree.community_a1, is_published=False)
    assert apply(verified_token("13912340001"), unpublished).status_code == 404


def test_resubmit_after_a_correction_and_withdraw_before_acceptance(tree, clerk, item):
    token = verified_token()
    mine = client(token)
    first = apply(token, item, pdf(), materials=[item.id_card.pk]).json()
    application = Application.objects.get(pk=first["id"])
    services.application_request_correction(
        actor=clerk, application=application, items=["身份证复印件不清晰"]
    )
    detail = mine.get(f"{BASE}/applications/{application.pk}/").json()
    assert detail["status"] == ApplicationStatus.CORRECTION_REQUESTED and detail["can_resubmit"] is True
    assert detail["correction_items"] == ["身份证复印件不清晰"]
    empty = mine.post(f"{BASE}/applications/{application.pk}/resubmit/", {}, format="multipart")
    assert empty.status_code == 400 and empty.json()["errors"] == {"files": ["请上传补正材料。"]}
    bad = mine.post(
        f"{BASE}/applications/{application.pk}/resubmit/",
        {"files": [SimpleUploadedFile("a.pdf", EXE)]},
        format="multipart",
    )
    assert bad.status_code == 400 and "不是 PDF" in bad.json()["errors"]["files"][0]
    assert ApplicationMaterial.objects.count() == 1
    response = mine.post(
        f"{BASE}/applications/{application.pk}/resubmit/",
        {"files": [pdf("清晰.pdf")], "materials": [item.id_card.pk]},
        format="multipart",
    )
    assert response.status_code == 200
    assert response.json()["status"] == ApplicationStatus.SUBMITTED and len(response.json()["materials"]) == 2
    assert response.json()["history"][-1]["action"] == "补正后重新提交"
    again = mine.post(
        f"{BASE}/applications/{application.pk}/resubmit/", {"files": [pdf()]}, format="multipart"
    )
    assert again.status_code == 400 and again.json()["code"] == "bad_status"

    unconfirmed = mine.post(f"{BASE}/applications/{application.pk}/withdraw/", {}, format="json")
    assert unconfirmed.status_code == 400 and "confirm" in unconfirmed.json()["errors"]
    not_ticked = mine.post(
        f"{BASE}/applications/{application.pk}/withdraw/", {"confirm": False}, format="json"
    )
    assert not_ticked.json()["errors"] == {"confirm": ["请勾选确认撤回。"]}
    response = mine.post(
        f"{BASE}/applications/{application.pk}/withdraw/",
        {"confirm": True, "reason": "不办了"},
        format="json",
    )
    assert response.status_code == 200 and response.json()["status"] == ApplicationStatus.WITHDRAWN
    assert response.json()["can_withdraw"] is False


def test_deferred_materials_are_supplied_by_api(tree, clerk):
    item = make_item(tree.community_a1)
    materials = SimpleNamespace(
        id_card=Material.objects.create(item=item, name="申请人居民身份证", required=True, sort_order=1),
        hukou=Material.objects.create(
            item=item, name="户口簿复印件", required=True, tolerable=True, sort_order=2
        ),
    )
    resident = make_resident()
    application = services.application_submit(
        resident=resident, item=item, uploads=[services.Upload(file=pdf(), material=materials.id_card)]
    )
    services.application_accept(
        actor=clerk,
        application=application,
        deferral=services.Deferral(materials=[materials.hukou], committed=True, until=None),
    )
    mine = client(token_of(resident))
    detail = mine.get(f"{BASE}/applications/{application.pk}/").json()
    assert detail["can_supply_deferred"] is True
    assert [(d["name"], d["supplied"]) for d in detail["deferred_materials"]] == [("户口簿复印件", False)]
    wrong = mine.post(
        f"{BASE}/applications/{application.pk}/supply-deferred/",
        {"files": [pdf()], "materials": [materials.id_card.pk]},
        format="multipart",
    )
    assert wrong.status_code == 400
    assert wrong.json()["errors"]["files"] == [
        "“申请人居民身份证”不是待补交的容缺材料，请按容缺材料逐项上传。"
    ]
    response = mine.post(
        f"{BASE}/applications/{application.pk}/supply-deferred/",
        {"files": [pdf("户口簿.pdf", PDF)], "materials": [materials.hukou.pk]},
        format="multipart",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["deferred_materials"][0]["supplied"] is True
    assert response.json()["can_supply_deferred"] is False
    assert "容缺材料已全部补齐" in response.json()["history"][-1]["note"]


def test_the_written_notices_outcome_document_and_certificate_are_the_applicants_to_download(tree, clerk):
    from jiedao.applications import certificates
    from jiedao.catalog.choices import CertificateKind
    from jiedao.registry import services as registry
    from jiedao.registry.tests import factories as people

    registrar = people.staff(tree.district)
    person = registry.person_move_in(
        actor=registrar,
        data=registry.PersonData(
            name="王秀明",
            id_number=people.new_id_number(),
            org=tree.grid_a1,
            house=people.house(registrar, tree.grid_a1),
        ),
        moved_on=dt.date(2019, 3, 15),
        origin="江西省南昌市",
    )
    item = make_item(tree.community_a1, name="居住证明开具", certificate_kind=CertificateKind.RESIDENCE)
    account = make_resident(name=person.name)
    account.id_number, account.id_number_hash = person.id_number, person.id_number_hash
    account.save()
    application = services.application_submit(
        resident=account, item=item, uploads=[services.Upload(file=pdf())]
    )
    services.application_accept(actor=clerk, application=application)
    mine = client(token_of(account))
    base = f"{BASE}/applications/{application.pk}"
    detail = mine.get(f"{base}/").json()
    assert [(n["kind"], n["label"], n["pdf"]) for n in detail["notices"]] == [
        ("acceptance", "受理通知书", f"{base}/notices/acceptance/?number=1")
    ]
    assert detail["outcome_document"] is None and detail["certificates"] == []
    response = mine.get(detail["notices"][0]["pdf"])
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF") and response["Content-Disposition"].startswith("attachment;")
    refused = mine.get(f"{base}/notices/refusal/")
    assert refused.status_code == 400 and refused.json()["code"] == "bad_status"
    assert mine.get(f"{base}/outcome-document/").status_code == 404

    services.application_conclude(actor=clerk, application=application, outcome=Outcome.APPROVED)
    certificate = certificates.certificate_issue(
        actor=clerk, application=Application.objects.get(pk=application.pk), purpose="子女入学"
    )
    detail = mine.get(f"{base}/").json()
    assert detail["outcome_document"] == f"{base}/outcome-document/"
    response = mine.get(detail["outcome_document"])
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")
    [listed] = detail["certificates"]
    assert listed["number"] == certificate.number and listed["revoked"] is False
    response = mine.get(listed["pdf"])
    assert response.status_code == 200 and response.content == certificates.render_pdf(certificate)

    stranger = client(token_of(make_resident()))
    for url in (f"{base}/notices/acceptance/", f"{base}/outcome-document/", listed["pdf"]):
        response = stranger.get(url)
        assert response.status_code == 404 and b"%PDF" not in response.content, url

    certificates.certificate_revoke(actor=clerk, certificate=certificate, reason="地址有误")
    detail = mine.get(f"{base}/").json()
    assert detail["certificates"][0]["revoked"] is True and detail["certificates"][0]["pdf"] is None
    response = mine.get(f"{base}/certificates/{certificate.pk}/")
    assert response.status_code == 400 and response.json()["code"] == "revoked"
    assert "该证明已作废，不能下载" in response.json()["detail"]
