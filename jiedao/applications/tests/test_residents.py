"""Resident accounts: mobile + SMS code, rate limits, real-name verification, separate sessions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from jiedao.applications import services
from jiedao.applications.models import Resident, SmsCode
from jiedao.applications.tests.factories import make_item, make_resident, resident_client, submit
from jiedao.core.exceptions import ServiceError, ValidationFailed
from jiedao.core.testing import client_for, make_user
from jiedao.registry.validators import make_id_number
from jiedao.sms.models import OutboundMessage

pytestmark = pytest.mark.django_db
PHONE = "13912345678"


def test_sign_up_and_login_with_an_sms_code(tree):
    code = services.resident_send_code(phone=PHONE, ip="10.0.0.1")
    message = OutboundMessage.objects.get(purpose="applications.login_code")
    assert code in message.body and message.phone == PHONE
    assert not SmsCode.objects.filter(code_hash__contains=code).exists()
    resident = services.resident_login(phone=PHONE, code=code)
    assert resident.phone == PHONE and resident.phone_masked == "139****5678"
    assert not resident.is_verified
    with pytest.raises(ValidationFailed):  # a code works once
        services.resident_login(phone=PHONE, code=code)


def test_one_code_per_minute_per_phone(tree):
    now = timezone.now()
    services.resident_send_code(phone=PHONE, ip="10.0.0.1", now=now)
    with pytest.raises(ServiceError) as caught:
        services.resident_send_code(phone=PHONE, ip="10.0.0.1", now=now + dt.timedelta(seconds=30))
    assert "60 秒" in str(caught.value.message)
    services.resident_send_code(phone=PHONE, ip="10.0.0.1", now=now + dt.timedelta(seconds=61))


def test_at_most_ten_codes_per_hour_per_address(tree):
    now = timezone.now()
    for n in range(10):
        services.resident_send_code(phone=f"1391234{n:04d}", ip="10.0.0.9", now=now)
    with pytest.raises(ServiceError) as caught:
        services.resident_send_code(phone="13912349999", ip="10.0.0.9", now=now)
    assert "过于频繁" in str(caught.value.message)


def test_code_expires_after_five_minutes_and_after_five_wrong_tries(tree):
    now = timezone.now()
    code = services.resident_send_code(phone=PHONE, ip=None, now=now)
    with pytest.raises(ValidationFailed):
        services.resident_login(phone=PHONE, code=code, now=now + dt.timedelta(minutes=6))
    code = services.resident_send_code(phone=PHONE, ip=None, now=now + dt.timedelta(minutes=7))
    later = now + dt.timedelta(minutes=8)
    for _ in range(5):
        with pytest.raises(ValidationFailed) as caught:
            services.resident_login(phone=PHONE, code="000000" if code != "000000" else "111111", now=later)
        assert "验证码错误" in caught.value.errors["code"][0]
    with pytest.raises(ValidationFailed):
        services.resident_login(phone=PHONE, code=code, now=later)
    assert not Resident.objects.exists()


def test_landline_cannot_receive_a_code(tree):
    with pytest.raises(ValidationFailed) as caught:
        services.resident_send_code(phone="010-12345678", ip=None)
    assert "手机号码" in caught.value.errors["phone"][0]


def test_real_name_verification_matches_the_registry(tree):
    from jiedao.registry.identity import id_number_hash
    from jiedao.registry.models import Person

    number = make_id_number("110105", dt.date(1985, 6, 1), 12)
    person = Person.objects.create(
        org=tree.community_a1,
        name="王小明",
        id_number=number,
        id_number_hash=id_number_hash(number),
        id_number_masked="x",
        gender="1",
        birth_date=dt.date(1985, 6, 1),
    )
    resident = make_resident(verified=False)
    with pytest.raises(ValidationFailed) as caught:
        services.resident_verify_identity(
            resident=resident, real_name="王小明", id_number="110105198506010000"
        )
    assert "id_number" in caught.value.errors
    services.resident_verify_identity(resident=resident, real_name="王小明", id_number=number)
    resident.refresh_from_db()
    assert resident.is_verified and resident.person == person
    assert resident.id_number_masked.startswith("110105") and "*" in resident.id_number_masked


def test_login_pages_end_to_end(tree):
    client = Client()
    response = client.post("/hall/account/login/", {"phone": PHONE})
    assert response.status_code == 302
    code = OutboundMessage.objects.get().body.split("验证码为 ")[1][:6]
    response = client.post("/hall/account/verify/", {"code": "999999" if code != "999999" else "888888"})
    assert "验证码错误或已失效" in response.content.decode()
    response = client.post("/hall/account/verify/", {"code": code})
    assert response.status_code == 302 and response["Location"].endswith("/hall/account/identity/")
    number = make_id_number("110105", dt.date(1990, 1, 1), 5)
    response = client.post("/hall/account/identity/", {"real_name": "赵六", "id_number": number})
    assert response.status_code == 302
    assert client.get("/hall/me/").status_code == 200


def test_resident_a_cannot_see_resident_b_application(tree):
    item = make_item(tree.community_a1)
    a, b = make_resident(), make_resident()
    application = submit(b, item)
    assert resident_client(b).get(f"/hall/me/applications/{application.pk}/").status_code == 200
    assert resident_client(a).get(f"/hall/me/applications/{application.pk}/").status_code == 404
    assert application.tracking_code not in resident_client(a).get("/hall/me/").content.decode()


def test_resident_session_cannot_open_staff_pages(tree):
    item = make_item(tree.community_a1)
    resident = make_resident()
    application = submit(resident, item)
    client = resident_client(resident)
    for url in ("/hall/staff/applications/", f"/hall/staff/applications/{application.pk}/", "/workbench/"):
        response = client.get(url)
        assert response.status_code in (302, 403), url
        if response.status_code == 302:
            assert "/accounts/login" in response["Location"], url
    assert client.get("/api/v1/applications/").status_code in (401, 403, 404)  # API: staff tokens only


def test_staff_login_does_not_see_resident_pages(tree):
    clerk = make_user(tree.community_a1, "applications.view_application")
    client = client_for(clerk)
    session = client.session
    session["resident_id"] = make_resident().pk
    session.save()
    assert client.get("/hall/me/").status_code == 403


def test_anonymous_visitor_is_sent_to_resident_login(tree):
    response = Client().get("/hall/me/")
    assert response.status_code == 302 and "/hall/account/login/" in response["Location"]


def test_apply_page_hints_when_the_resident_is_registered_in_another_sub_district(tree):
    from jiedao.registry.models import Person

    resident = make_resident()
    resident.person = Person.objects.create(
        org=tree.community_b1,
        name=resident.real_name,
        id_number=resident.id_number,
        id_number_hash=resident.id_number_hash,
        id_number_masked=resident.id_number_masked,
        gender="1",
        birth_date=dt.date(1980, 1, 1),
    )
    resident.save()
    elsewhere = make_item(tree.subdistrict_a, name="居住证明开具")
    at_home = make_item(tree.subdistrict_b, name="居住证明开具")
    client = resident_client(resident)

    hint = client.get(f"/hall/me/apply/{elsewhere.pk}/").content.decode()
    assert 'data-testid="home-outside"' in hint
    assert f"本事项由“{tree.subdistrict_a.name}”受理" in hint and tree.community_b1.name in hint
    assert "可继续提交" in hint  # a hint, not a refusal: the form is there
    assert "提交申请" in hint

    assert 'data-testid="home-outside"' not in client.get(f"/hall/me/apply/{at_home.pk}/").content.decode()
    resident.person.status = "moved_out"
    resident.person.save()
    assert 'data-testid="home-outside"' not in client.get(f"/hall/me/apply/{elsewhere.pk}/").content.decode()
