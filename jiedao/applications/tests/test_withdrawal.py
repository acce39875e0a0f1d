"""撤回申请: the applicant takes an application back before it is decided — online before acceptance, in
writing at the window after it (recorded by the clerk); the examination, its clock and its process end."""

from __future__ import annotations

import pytest
from django.urls import reverse

from jiedao.applications import processing, services
from jiedao.applications.choices import ApplicationStatus, EventAction
from jiedao.applications.tests import factories
from jiedao.applications.tests import test_processing as base
from jiedao.applications.tests.factories import resident_client
from jiedao.applications.tests.test_processing import _accepted
from jiedao.audit.models import AuditEvent
from jiedao.core.exceptions import ServiceError, ValidationFailed
from jiedao.core.testing import api_client_for, client_for
from jiedao.sms.models import OutboundMessage
from jiedao.timelimits.choices import ClockStatus
from jiedao.timelimits.services import clock_for
from jiedao.workflow.choices import OPEN_TASK_STATUSES, InstanceStatus
from jiedao.workflow.models import WorkTask

pytestmark = pytest.mark.django_db

clock = base.clock
hall = base.hall


def test_resident_withdraws_online_before_acceptance(hall):
    application = factories.submit(hall.resident, hall.item)
    client = resident_client(hall.resident)
    page = reverse("applications:resident_application", args=[application.pk])
    withdraw = reverse("applications:resident_withdraw", args=[application.pk])
    assert "办件受理前，您可以在网上撤回申请" in client.get(page).content.decode()

    response = client.post(withdraw, {"reason": "材料准备不全，下月重新申请"})
    assert response.status_code == 400 and "请勾选确认撤回" in response.content.decode()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED

    response = client.post(withdraw, {"reason": "材料准备不全，下月重新申请", "confirm": "on"}, follow=True)
    body = response.content.decode()
    assert "申请已撤回，办理终止" in body and "已撤回" in body
    assert "办件受理前，您可以在网上撤回申请" not in body  # nothing left to withdraw
    application.refresh_from_db()
    assert application.status == ApplicationStatus.WITHDRAWN
    event = application.events.get(action=EventAction.WITHDRAWN)
    assert event.by_applicant and event.note == "材料准备不全，下月重新申请"
    sms = OutboundMessage.objects.get(purpose="applications.withdrawn")
    assert "已撤回" in sms.body and application.tracking_code in sms.body
    assert AuditEvent.objects.filter(event_name="applications.application.withdrawn").exists()
    # The window can no longer accept it, nor can the deemed-acceptance rule.
    with pytest.raises(ServiceError):
        services.application_accept(actor=hall.window, application=application)
    # Tracking shows it to the applicant without login.
    track = services.application_track(code=application.tracking_code, phone="13912345678", ip=None)
    assert track.status == ApplicationStatus.WITHDRAWN


def test_after_acceptance_the_resident_is_sent_to_the_window(hall):
    application = _accepted(hall)
    client = resident_client(hall.resident)
    page = client.get(reverse("applications:resident_application", args=[application.pk])).content.decode()
    assert "该办件已受理，不能在网上撤回" in page and hall.item.window_address in page
    response = client.post(
        reverse("applications:resident_withdraw", args=[application.pk]), {"confirm": "on"}
    )
    assert response.status_code == 400 and "不能在网上撤回" in response.content.decode()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.ACCEPTED
    assert processing.instance_for(application).status == InstanceStatus.RUNNING


def test_another_residents_application_cannot_be_withdrawn(hall):
    application = factories.submit(hall.resident, hall.item)
    stranger = factories.make_resident()
    response = resident_client(stranger).post(
        reverse("applications:resident_withdraw", args=[application.pk]), {"confirm": "on"}
    )
    assert response.status_code == 404
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED


def test_clerk_records_a_written_withdrawal_and_the_process_ends(hall):
    application = _accepted(hall)
    instance = processing.instance_for(application)
    assert WorkTask.objects.filter(instance=instance, status__in=OPEN_TASK_STATUSES).exists()
    client = client_for(hall.window)
    detail = reverse("applications:staff_detail", args=[application.pk])
    assert "登记撤回申请" in client.get(detail).content.decode()
    url = reverse("applications:staff_withdraw", args=[application.pk])

    response = client.post(url, {"reason": "", "seen_status": ApplicationStatus.ACCEPTED})
    assert "请填写撤回原因" in response.content.decode()
    response = client.post(
        url, {"reason": "申请人于 9 月 22 日提交书面撤回申请。", "seen_status": ApplicationStatus.ACCEPTED}
    )
    assert response.status_code == 302

    application.refresh_from_db()
    instance.refresh_from_db()
    assert application.status == ApplicationStatus.WITHDRAWN
    assert instance.status == InstanceStatus.CANCELLED
    assert instance.history.filter(opinion__contains="申请人撤回申请：申请人于 9 月 22 日").exists()
    # Nobody is left with a step of it in the inbox, and its time limit no longer runs.
    assert not WorkTask.objects.filter(instance=instance, status__in=OPEN_TASK_STATUSES).exists()
    assert clock_for(application).status == ClockStatus.STOPPED
    event = application.events.get(action=EventAction.WITHDRAWN)
    assert event.actor == hall.window and not event.by_applicant
    # Not concluded: nothing to rate.
    assert not application.is_concluded
    assert services.rating_link_for_window(application) is None


def test_withdrawal_from_a_stale_page_or_after_a_decision_is_refused(hall):
    application = _accepted(hall)
    with pytest.raises(ServiceError) as caught:
        services.application_withdraw(
            actor=hall.window,
            application=application,
            reason="书面撤回",
            expected_status=ApplicationStatus.SUBMITTED,
        )
    assert "已由他人处理" in str(caught.value.message)
    services.application_withdraw(actor=hall.window, application=application, reason="书面撤回")
    with pytest.raises(ServiceError) as caught:
        services.application_withdraw(actor=hall.window, application=application, reason="再次撤回")
    assert "不能撤回" in str(caught.value.message)
    assert application.events.filter(action=EventAction.WITHDRAWN).count() == 1
    with pytest.raises(ValidationFailed):
        services.application_withdraw(
            actor=hall.window, application=factories.submit(hall.resident, hall.item)
        )


def test_api_records_a_written_withdrawal(hall):
    application = _accepted(hall)
    api = api_client_for(hall.window)
    url = f"/api/v1/applications/{application.pk}/withdraw/"
    response = api.post(url, {"reason": ""}, format="json")
    assert response.status_code == 400 and "请填写撤回原因" in response.json()["errors"]["reason"][0]
    response = api.post(url, {"reason": "申请人提交书面撤回申请。"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == ApplicationStatus.WITHDRAWN
    assert processing.instance_for(application).status == InstanceStatus.CANCELLED
