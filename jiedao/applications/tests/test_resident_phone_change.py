"""更换绑定手机号: a resident's account moves to a new mobile number, by the resident (signed in) or, when the
old phone is lost, at a window after the clerk has checked the identity card."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jiedao.applications import services
from jiedao.applications.models import Application, Resident, SmsCode, SmsCodePurpose
from jiedao.applications.tests.factories import last_sms_code, make_item, make_resident, submit
from jiedao.audit.models import AuditEvent
from jiedao.core.crypto import mask_phone
from jiedao.core.exceptions import PermissionDenied, ValidationFailed
from jiedao.core.testing import client_for, make_user
from jiedao.registry.validators import make_id_number
from jiedao.sms.models import OutboundMessage

pytestmark = pytest.mark.django_db
NEW = "13700001111"


def signed_in(phone: str) -> tuple[Client, Resident]:
    """A browser signed in the way residents are: the SMS login pages."""
    client = Client()
    client.post(reverse("applications:resident_login"), {"phone": phone})
    client.post(reverse("applications:resident_verify"), {"code": last_sms_code(phone)})
    return client, Resident.objects.get(phone_masked=f"{phone[:3]}****{phone[-4:]}")


def test_resident_changes_phone_and_keeps_applications(tree):
    old = "13900002222"
    make_resident(phone=old)
    application = submit(Resident.objects.get(phone_masked="139****2222"), make_item(tree.subdistrict_a))
    client, resident = signed_in(old)
    other_browser, _ = signed_in(old)  # e.g. the old phone, left signed in

    page = client.get(reverse("applications:resident_home"))
    assert "更换手机号" in page.content.decode()
    response = client.post(reverse("applications:resident_phone"), {"phone": NEW})
    assert response.status_code == 302
    sms = OutboundMessage.objects.filter(phone_masked=mask_phone(NEW)).latest("id")
    assert "更换政务服务账号绑定的手机号码" in sms.body
    page = client.get(reverse("applications:resident_phone_verify")).content.decode()
    assert "137****1111" in page
    response = client.post(
        reverse("applications:resident_phone_verify"), {"code": last_sms_code(NEW)}, follow=True
    )
    body = response.content.decode()
    assert "绑定手机号已更换为 137****1111" in body
    assert application.tracking_code in body  # still signed in, still the same applications

    resident.refresh_from_db()
    assert resident.phone == NEW and resident.phone_masked == "137****1111"
    application.refresh_from_db()
    assert application.applicant_phone == NEW
    assert application.events.filter(action="phone_changed", by_applicant=True).exists()
    # Tracking without login now works with the new number, not the old one.
    assert services.application_track(code=application.tracking_code, phone=NEW, ip=None).item_name
    with pytest.raises(ValidationFailed):
        services.application_track(code=application.tracking_code, phone=old, ip=None)
    # The old number is told; the other browser is signed out; the new number signs in to the account.
    warning = OutboundMessage.objects.filter(
        phone_masked=mask_phone(old), purpose="applications.phone_changed"
    ).get()
    assert "137****1111" in warning.body and "如非本人办理" in warning.body
    response = other_browser.get(reverse("applications:resident_home"))
    assert response.status_code == 302 and reverse("applications:resident_login") in response["Location"]
    _client, again = signed_in(NEW)
    assert again.pk == resident.pk
    event = AuditEvent.objects.get(event_name="applications.resident.phone_changed")
    assert event.before == {"phone": "139****2222"} and event.after["applications"] == 1


def test_the_old_number_is_told_when_in_the_date_style_of_every_sms(tree):
    resident = make_resident(phone="13900005555")
    changed_at = dt.datetime(2026, 12, 9, 6, 5, tzinfo=dt.UTC)  # 14:05 in Beijing
    services.resident_phone_change_start(resident=resident, phone=NEW, ip=None, now=changed_at)
    code = last_sms_code(NEW)
    services.resident_change_phone(resident=resident, new_phone=NEW, code=code, now=changed_at)
    warning = OutboundMessage.objects.get(purpose="applications.phone_changed")
    assert warning.body.startswith("您的政务服务账号绑定手机号已于 2026年12月9日14:05 更换为 137****1111。")


def test_a_wrong_code_changes_nothing_and_counts(tree):
    resident = make_resident(phone="13900003333")
    services.resident_phone_change_start(resident=resident, phone=NEW, ip=None)
    for _ in range(5):
        with pytest.raises(ValidationFailed) as caught:
            services.resident_change_phone(resident=resident, new_phone=NEW, code="000000")
        assert "验证码错误" in caught.value.errors["code"][0]
    right = SmsCode.objects.get(purpose=SmsCodePurpose.CHANGE_PHONE)
    assert right.attempts == 5  # counted although each refusal rolled its transaction back
    resident.refresh_from_db()
    assert resident.phone == "13900003333" and resident.session_epoch == 0
    assert not OutboundMessage.objects.filter(purpose="applications.phone_changed").exists()


def test_codes_serve_only_their_purpose(tree):
    resident = make_resident(phone="13900004444")
    login_code = services.resident_send_code(phone=NEW, ip=None)
    with pytest.raises(ValidationFailed):
        services.resident_change_phone(resident=resident, new_phone=NEW, code=login_code)
    later = timezone.now() + dt.timedelta(seconds=61)
    change_code = services.resident_phone_change_start(resident=resident, phone=NEW, ip=None, now=later)
    with pytest.raises(ValidationFailed):  # proving a number for a rebind signs nobody in
        services.resident_login(phone=NEW, code=change_code, now=later)
    assert not Resident.objects.filter(phone_masked="137****1111").exists()


def test_numbers_that_cannot_be_bound_are_refused_before_any_sms(tree):
    resident = make_resident(phone="13900005555")
    taken = make_resident(phone=NEW, name="李四")  # another real-name account
    for phone, words in (("13900005555", "相同"), (NEW, "另一个实名账号"), ("010-12345678", "固定电话")):
        with pytest.raises(ValidationFailed) as caught:
            services.resident_phone_change_start(resident=resident, phone=phone, ip=None)
        assert words in caught.value.errors["phone"][0]
    assert not OutboundMessage.objects.exists()
    taken.refresh_from_db()
    assert taken.phone == NEW


def test_an_empty_account_the_new_number_made_is_merged_away(tree):
    """The usual path: the resident first signs in with the new number, finds no applications there."""
    resident = make_resident(phone="13900006666")
    submit(resident, make_item(tree.subdistrict_a))
    empty = make_resident(phone=NEW, verified=False)
    code = services.resident_phone_change_start(resident=resident, phone=NEW, ip=None)
    services.resident_change_phone(resident=resident, new_phone=NEW, code=code)
    assert not Resident.objects.filter(pk=empty.pk).exists()
    assert Resident.objects.get(phone_masked="137****1111").pk == resident.pk
    assert Application.objects.get().applicant_phone == NEW


def test_window_clerk_rebinds_after_checking_the_identity_card(tree):
    resident = make_resident(phone="13900007777", name="王五")
    application = submit(resident, make_item(tree.subdistrict_a))
    clerk = make_user(tree.subdistrict_a, "applications.change_resident")
    client = client_for(clerk)
    find = reverse("applications:window_resident_find")
    step2 = reverse("applications:window_resident_phone", args=[resident.pk])

    # Steps 2 and 3 are reached only through the identity card look-up of this session.
    assert client.get(step2)["Location"] == find
    wrong_check = resident.id_number[:-1] + ("0" if resident.id_number[-1] != "0" else "1")
    response = client.post(find, {"id_number": wrong_check})
    assert "校验位错误" in response.content.decode()
    response = client.post(find, {"id_number": resident.id_number})
    assert response["Location"] == step2
    page = client.get(step2).content.decode()
    assert "王五" in page and "139****7777" in page

    response = client.post(step2, {"phone": NEW})
    step3 = reverse("applications:window_resident_phone_verify", args=[resident.pk])
    assert response["Location"] == step3
    response = client.post(step3, {"code": "000000" if last_sms_code(NEW) != "000000" else "111111"})
    assert "验证码错误" in response.content.decode()
    response = client.post(step3, {"code": last_sms_code(NEW)}, follow=True)
    assert "已将该群众账号的绑定手机号更换为 137****1111" in response.content.decode()

    resident.refresh_from_db()
    application.refresh_from_db()
    assert resident.phone == NEW and application.applicant_phone == NEW
    event = application.events.get(action="phone_changed")
    assert event.actor == clerk and not event.by_applicant
    audit = AuditEvent.objects.get(event_name="applications.resident.phone_changed")
    assert audit.actor_id == clerk.pk
    assert client.get(step3)["Location"] == find  # the look-up is spent with the change


def test_window_look_up_needs_the_permission_and_a_real_name_account(tree):
    unverified = make_resident(phone="13900008888", verified=False)
    clerk = make_user(tree.subdistrict_a, "applications.view_application")
    assert client_for(clerk).get(reverse("applications:window_resident_find")).status_code == 403
    with pytest.raises(PermissionDenied):
        services.resident_phone_change_start(resident=unverified, phone=NEW, ip=None, actor=clerk)
    client = client_for(make_user(tree.subdistrict_a, "applications.change_resident"))
    nobody = make_id_number("110105", dt.date(1990, 2, 2), 7)
    response = client.post(reverse("applications:window_resident_find"), {"id_number": nobody})
    assert "未找到使用该证件号码实名认证的群众账号" in response.content.decode()
    assert not client.session.get("window_rebind")
    step2 = reverse("applications:window_resident_phone", args=[unverified.pk])
    assert client.post(step2, {"phone": NEW})["Location"] == reverse("applications:window_resident_find")
    assert not OutboundMessage.objects.exists()


def test_a_new_number_cannot_take_the_identity_and_is_pointed_to_the_window(tree):
    """Signing in with the new number and verifying again would make a second account of one person."""
    owner = make_resident(phone="13900009999")
    newcomer = make_resident(phone=NEW, verified=False)
    with pytest.raises(ValidationFailed) as caught:
        services.resident_verify_identity(
            resident=newcomer, real_name=owner.real_name, id_number=owner.id_number
        )
    assert "到窗口办理更换绑定手机号" in caught.value.errors["id_number"][0]
    newcomer.refresh_from_db()
    assert not newcomer.is_verified
