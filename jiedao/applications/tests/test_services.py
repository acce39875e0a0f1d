"""Application services: what the applicant and the window clerk notice, and bad input refused."""

from __future__ import annotations

import pytest

from jiedao.applications import services
from jiedao.applications.choices import ApplicationStatus, EventAction, Outcome
from jiedao.applications.models import Application, ApplicationEvent, ApplicationMaterial
from jiedao.applications.tests.factories import (
    CLERK_PERMISSIONS,
    EXE,
    PNG,
    local,
    make_item,
    make_resident,
    pdf,
    submit,
    uploads,
    walk_in,
)
from jiedao.catalog.choices import Availability, ItemKind
from jiedao.core.exceptions import PermissionDenied, ServiceError, ValidationFailed
from jiedao.core.testing import make_user
from jiedao.parameters.services import clear_cache
from jiedao.sms.models import OutboundMessage
from jiedao.timelimits.choices import ClockStatus
from jiedao.timelimits.services import clock_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(tree):
    return make_user(tree.community_a1, *CLERK_PERMISSIONS, "applications.extend_application")


@pytest.fixture
def item(tree):
    return make_item(tree.community_a1)


def test_online_application_for_an_offline_only_item_is_refused(item):
    item.availability = Availability.OFFLINE
    item.save()
    with pytest.raises(ServiceError) as caught:
        submit(make_resident(), item)
    assert "仅限窗口办理" in str(caught.value.message)
    assert not Application.objects.exists()


def test_unverified_resident_must_verify_first(item):
    with pytest.raises(ServiceError) as caught:
        submit(make_resident(verified=False), item)
    assert "实名认证" in str(caught.value.message)


def test_exe_renamed_pdf_is_refused_by_content(item):
    resident = make_resident()
    with pytest.raises(ValidationFailed) as caught:
        services.application_submit(resident=resident, item=item, uploads=uploads(pdf("病毒.pdf", EXE)))
    assert "不是 PDF 文件或照片" in caught.value.errors["files"][0]
    assert not Application.objects.exists() and not ApplicationMaterial.objects.exists()


def test_png_is_accepted_whatever_its_name(item):
    application = services.application_submit(
        resident=make_resident(), item=item, uploads=uploads(pdf("photo.pdf", PNG))
    )
    material = application.materials.get()
    assert material.content_type == "image/png" and material.file.name.endswith(".png")
    assert material.original_name == "photo.pdf"


def test_file_over_the_limit_is_refused(item, settings):
    from jiedao.parameters.models import SystemParameter

    SystemParameter.objects.create(key="applications.max_file_mb", value=1)
    clear_cache()
    big = b"%PDF-" + b"0" * (1024 * 1024)
    with pytest.raises(ValidationFailed) as caught:
        services.application_submit(resident=make_resident(), item=item, uploads=uploads(pdf("大.pdf", big)))
    assert "超过单个文件 1 MB 的上限" in caught.value.errors["files"][0]
    assert not Application.objects.exists()


def test_total_size_limit(item):
    from jiedao.parameters.models import SystemParameter

    SystemParameter.objects.create(key="applications.max_total_mb", value=1)
    clear_cache()
    half = b"%PDF-" + b"0" * (600 * 1024)
    with pytest.raises(ValidationFailed) as caught:
        services.application_submit(
            resident=make_resident(), item=item, uploads=uploads(pdf("a.pdf", half), pdf("b.pdf", half))
        )
    assert "超过每件申请 1 MB 的上限" in caught.value.errors["files"][-1]


def test_submission_gets_an_unguessable_tracking_code(item):
    application = submit(make_resident(), item)
    assert application.status == ApplicationStatus.SUBMITTED
    assert len(application.tracking_code) == 12
    assert not set(application.tracking_code) & set("01IO")
    assert application.org == item.org
    assert application.events.get().action == EventAction.SUBMITTED


def test_correction_request_with_no_items_is_refused(clerk, item):
    application = walk_in(clerk, item)
    with pytest.raises(ValidationFailed) as caught:
        services.application_request_correction(actor=clerk, application=application, items=["", "  "])
    assert "一次性告知" in caught.value.errors["items"][0]
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED
    assert application.events.count() == 1


def test_concluding_an_application_that_is_not_accepted_is_refused(clerk, item):
    application = walk_in(clerk, item)
    with pytest.raises(ServiceError) as caught:
        services.application_conclude(actor=clerk, application=application, outcome=Outcome.APPROVED)
    assert "不能办结" in str(caught.value.message)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED and application.concluded_at is None
    assert clock_for(application) is None


def test_reject_needs_a_reason(clerk, item):
    application = walk_in(clerk, item)
    with pytest.raises(ValidationFailed):
        services.application_reject(actor=clerk, application=application, reason=" ")
    services.application_reject(actor=clerk, application=application, reason="不属于本街道受理范围")
    assert application.status == ApplicationStatus.REJECTED
    assert OutboundMessage.objects.filter(
        purpose="applications.rejected", body__contains="不属于本街道"
    ).exists()


def test_accept_starts_the_clock_on_the_promised_limit(clerk, item):
    application = walk_in(clerk, item, at=local(2026, 3, 2, 9))
    services.application_accept(actor=clerk, application=application, at=local(2026, 3, 2, 10))
    clock = clock_for(application)
    assert clock.limit == 10 and clock.status == ClockStatus.GREEN
    assert application.due_at == clock.due_at
    assert application.due_at.date().isoformat() == "2026-03-16"
    assert OutboundMessage.objects.filter(
        purpose="applications.accepted", body__contains="2026年3月16日"
    ).exists()


def test_accepting_twice_is_refused(clerk, item):
    application = walk_in(clerk, item)
    services.application_accept(actor=clerk, application=application)
    with pytest.raises(ServiceError) as caught:
        services.application_accept(actor=clerk, application=application)
    assert "不能受理" in str(caught.value.message)


def test_instant_item_is_concluded_on_the_spot(clerk, tree):
    instant = make_item(
        tree.community_a1, kind=ItemKind.INSTANT, promised_limit_days=0, statutory_limit_days=1
    )
    application = services.application_accept(actor=clerk, application=walk_in(clerk, instant))
    assert application.status == ApplicationStatus.CONCLUDED_APPROVED
    assert clock_for(application).status == ClockStatus.STOPPED


def test_deemed_acceptance_after_five_working_days_across_a_weekend(clerk, item):
    application = walk_in(clerk, item, at=local(2026, 3, 6, 10))  # a Friday
    assert services.deemed_acceptance_run(now=local(2026, 3, 11, 12)) == 0  # 5 calendar days: not yet
    assert services.deemed_acceptance_run(now=local(2026, 3, 13, 23)) == 0  # 5th working day not over
    assert services.deemed_acceptance_run(now=local(2026, 3, 16, 8)) == 1
    application.refresh_from_db()
    assert application.status == ApplicationStatus.ACCEPTED and application.deemed_accepted
    # 行政许可法第三十二条: deemed accepted from the day the materials were received (Friday 6 March), not
    # from the day it became deemed (the end of the 5th working day, 13 March).
    assert application.accepted_at == application.received_at == local(2026, 3, 6, 10)
    clock = clock_for(application)
    assert clock.started_at == application.received_at
    assert application.due_at.date().isoformat() == "2026-03-20"  # 10 working days from 6 March
    event = application.events.last()
    assert event.action == EventAction.DEEMED_ACCEPTED
    assert event.at.astimezone(local(2026, 1, 1).tzinfo).date().isoformat() == "2026-03-13"
    assert "2026-03-06" in event.note and "视为受理" in event.note
    assert services.deemed_acceptance_run(now=local(2026, 3, 17, 8)) == 0


def test_correction_resets_the_deemed_acceptance_count(clerk, item):
    application = walk_in(clerk, item, at=local(2026, 3, 2, 10))
    services.application_request_correction(
        actor=clerk, application=application, items=["身份证复印件不清晰"], at=local(2026, 3, 3, 10)
    )
    assert services.deemed_acceptance_run(now=local(2026, 3, 20, 10)) == 0  # waiting for the applicant
    services.application_resubmit(
        actor=clerk, application=application, uploads=uploads(), at=local(2026, 3, 23, 10)
    )
    assert application.status == ApplicationStatus.SUBMITTED
    assert services.deemed_acceptance_run(now=local(2026, 3, 27, 10)) == 0
    assert services.deemed_acceptance_run(now=local(2026, 3, 31, 10)) == 1


def test_correction_pauses_the_clock_until_resubmission(clerk, item):
    resident = make_resident()
    application = submit(resident, item, at=local(2026, 3, 2, 9))
    services.application_accept(actor=clerk, application=application, at=local(2026, 3, 2, 10))
    services.application_request_correction(
        actor=clerk,
        application=application,
        items=["户口簿复印件缺少本人页", "申请表未签字"],
        at=local(2026, 3, 4, 10),
    )
    assert application.status == ApplicationStatus.CORRECTION_REQUESTED
    assert clock_for(application).status == ClockStatus.PAUSED
    message = OutboundMessage.objects.get(purpose="applications.correction_requested")
    assert "户口簿复印件缺少本人页" in message.body and "申请表未签字" in message.body
    services.application_resubmit(
        resident=resident, application=application, uploads=uploads(), at=local(2026, 3, 9, 10)
    )
    assert application.status == ApplicationStatus.ACCEPTED
    assert clock_for(application).status != ClockStatus.PAUSED
    assert application.due_at.date().isoformat() == "2026-03-19"  # 16th + Thu, Fri, Mon
    assert application.materials.count() == 2


def test_someone_elses_resubmission_is_refused(clerk, item):
    application = submit(make_resident(), item)
    services.application_request_correction(actor=clerk, application=application, items=["补充材料"])
    with pytest.raises(ServiceError):
        services.application_resubmit(resident=make_resident(), application=application, uploads=uploads())
    application.refresh_from_db()
    assert application.status == ApplicationStatus.CORRECTION_REQUESTED


def test_suspension_and_extension_move_the_due_date(clerk, item):
    application = walk_in(clerk, item, at=local(2026, 3, 2, 9))
    services.application_accept(actor=clerk, application=application, at=local(2026, 3, 2, 10))
    services.application_suspend(
        actor=clerk, application=application, reason="等待鉴定", at=local(2026, 3, 4, 10)
    )
    assert application.status == ApplicationStatus.SUSPENDED
    services.application_resume(actor=clerk, application=application, at=local(2026, 3, 6, 10))
    assert application.due_at.date().isoformat() == "2026-03-18"
    services.application_extension_request(
        actor=clerk, application=application, days=3, reason="情况复杂", at=local(2026, 3, 9)
    )
    assert application.due_at.date().isoformat() == "2026-03-18"  # not before approval
    leader = make_user(application.org, "applications.view_application", "applications.approve_extension")
    services.application_extension_decide(
        actor=leader, application=application, approve=True, at=local(2026, 3, 9, 11)
    )
    assert application.due_at.date().isoformat() == "2026-03-23"
    assert [e.action for e in application.events.all()][-3:] == [
        EventAction.SUSPENDED,
        EventAction.RESUMED,
        EventAction.EXTENDED,
    ]


def test_extension_needs_its_own_permission(tree, item):
    clerk = make_user(tree.community_a1, *CLERK_PERMISSIONS)
    application = walk_in(clerk, item)
    services.application_accept(actor=clerk, application=application)
    with pytest.raises(PermissionDenied):
        services.application_extension_request(
            actor=clerk, application=application, days=3, reason="情况复杂"
        )


def test_conclusion_stops_the_clock_and_queues_an_sms(clerk, item):
    application = walk_in(clerk, item, phone="13800138000")
    services.application_accept(actor=clerk, application=application, at=local(2026, 3, 2, 10))
    services.application_conclude(
        actor=clerk, application=application, outcome=Outcome.APPROVED, text="准予", at=local(2026, 3, 10)
    )
    assert application.status == ApplicationStatus.CONCLUDED_APPROVED
    assert application.concluded_by == clerk
    assert clock_for(application).status == ClockStatus.STOPPED
    message = OutboundMessage.objects.get(purpose="applications.concluded")
    assert message.phone == "13800138000" and application.tracking_code in message.body
    with pytest.raises(ServiceError):
        services.application_conclude(actor=clerk, application=application, outcome=Outcome.DENIED, text="x")
    assert OutboundMessage.objects.filter(purpose="applications.concluded").count() == 1


def test_denial_needs_a_reason(clerk, item):
    application = services.application_accept(actor=clerk, application=walk_in(clerk, item))
    with pytest.raises(ValidationFailed):
        services.application_conclude(actor=clerk, application=application, outcome=Outcome.DENIED, text="")
    assert Application.objects.get(pk=application.pk).status == ApplicationStatus.ACCEPTED


def test_landline_applicant_gets_no_sms_but_the_transition_works(clerk, item):
    application = walk_in(clerk, item, phone="010-87654321")
    services.application_accept(actor=clerk, application=application)
    assert application.status == ApplicationStatus.ACCEPTED
    assert not OutboundMessage.objects.exists()


def test_clerk_of_another_community_cannot_act(tree, item, clerk):
    other = make_user(tree.community_a2, *CLERK_PERMISSIONS)
    application = walk_in(clerk, item)
    from jiedao.core.exceptions import OutOfScope

    with pytest.raises(OutOfScope):
        services.application_accept(actor=other, application=application)
    assert ApplicationEvent.objects.filter(application=application).count() == 1
