"""注销账号: a resident deletes their account (个人信息保护法第四十七条); the offices keep the applications."""

from __future__ import annotations

import pytest
from django.urls import reverse

from jiedao.applications import services
from jiedao.applications.choices import ApplicationStatus
from jiedao.applications.models import Application, Resident
from jiedao.applications.tests.factories import (
    last_sms_code,
    make_item,
    make_resident,
    resident_client,
    submit,
)
from jiedao.audit.models import AuditEvent
from jiedao.core.exceptions import ServiceError, ValidationFailed
from jiedao.sms.models import OutboundMessage

pytestmark = pytest.mark.django_db
PHONE = "13600002222"


def test_closing_deletes_the_account_and_keeps_the_applications(tree):
    resident = make_resident(phone=PHONE)
    application = submit(resident, make_item(tree.subdistrict_a))
    services.application_withdraw(resident=resident, application=application)
    client = resident_client(resident)
    page = client.get(reverse("applications:resident_close")).content.decode()
    assert "不能恢复" in page

    response = client.post(reverse("applications:resident_close"), {})
    assert "请勾选确认注销" in response.content.decode()
    assert not OutboundMessage.objects.filter(purpose="applications.close_account_code").exists()
    response = client.post(reverse("applications:resident_close"), {"confirm": "on"})
    assert response["Location"] == reverse("applications:resident_close_verify")
    assert "注销政务服务账号" in OutboundMessage.objects.get(purpose="applications.close_account_code").body

    response = client.post(
        reverse("applications:resident_close_verify"), {"code": last_sms_code(PHONE)}, follow=True
    )
    assert "账号已注销" in response.content.decode()
    assert not Resident.objects.filter(pk=resident.pk).exists()
    application.refresh_from_db()
    assert application.resident_id is None and application.applicant_name == resident.real_name
    # Signed out; tracking by code and number still answers; the number can sign up afresh.
    assert client.get(reverse("applications:resident_home")).status_code == 302
    track = services.application_track(code=application.tracking_code, phone=PHONE, ip=None)
    assert track.status == ApplicationStatus.WITHDRAWN
    event = AuditEvent.objects.get(event_name="applications.resident.closed")
    assert event.after == {"applications_kept": 1}
    fresh = make_resident(phone=PHONE, name=resident.real_name)
    assert not fresh.applications.exists()


def test_an_open_application_stops_closing(tree):
    resident = make_resident(phone=PHONE)
    application = submit(resident, make_item(tree.subdistrict_a))
    client = resident_client(resident)
    page = client.get(reverse("applications:resident_close")).content.decode()
    assert "办结或撤回后才能注销账号" in page and application.tracking_code in page
    response = client.post(reverse("applications:resident_close"), {"confirm": "on"})
    assert "办结或撤回后才能注销账号" in response.content.decode()
    assert not OutboundMessage.objects.exists()
    # An application submitted after the code was sent stops it too.
    application.status = ApplicationStatus.WITHDRAWN
    application.save()
    code = services.resident_close_start(resident=resident, ip=None)
    application.status = ApplicationStatus.SUBMITTED
    application.save()
    with pytest.raises(ServiceError) as caught:
        services.resident_close(resident=resident, code=code)
    assert "办结或撤回后" in str(caught.value.message)
    assert Resident.objects.filter(pk=resident.pk).exists()
    assert Application.objects.get().resident_id == resident.pk


def test_a_wrong_code_closes_nothing(tree):
    resident = make_resident(phone=PHONE)
    code = services.resident_close_start(resident=resident, ip=None)
    with pytest.raises(ValidationFailed):
        services.resident_close(resident=resident, code="000000" if code != "000000" else "111111")
    assert Resident.objects.filter(pk=resident.pk).exists()
    with pytest.raises(ValidationFailed):  # a login code for the number closes nothing either
        services.resident_login(phone=PHONE, code=code)
