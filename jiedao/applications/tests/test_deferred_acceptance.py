"""容缺受理: accepting with tolerable materials missing, supplying them later, and what waits for them."""

from __future__ import annotations

import datetime as dt
from itertools import count
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from jiedao.applications import services, written_notices
from jiedao.applications.choices import ApplicationStatus, EventAction, NoticeKind, Outcome
from jiedao.applications.models import Application, DeferredMaterial
from jiedao.applications.selectors import filter_applications
from jiedao.applications.tests.factories import (
    CLERK_PERMISSIONS,
    EXE,
    PDF,
    local,
    make_item,
    make_resident,
    pdf,
    resident_client,
)
from jiedao.applications.tests.pdftext import pdf_text
from jiedao.catalog.models import Material
from jiedao.core.exceptions import ServiceError, ValidationFailed
from jiedao.core.testing import api_client_for, make_user
from jiedao.registry.validators import make_id_number
from jiedao.sms.models import OutboundMessage
from jiedao.timelimits.services import clock_for

pytestmark = pytest.mark.django_db

MONDAY = local(2026, 3, 2, 10)
_serial = count(1)


@pytest.fixture
def clerk(tree):
    return make_user(tree.community_a1, *CLERK_PERMISSIONS)


@pytest.fixture
def item(tree):
    return make_item(tree.community_a1)


@pytest.fixture
def materials(item):
    return SimpleNamespace(
        id_card=Material.objects.create(item=item, name="申请人居民身份证", required=True, sort_order=1),
        hukou=Material.objects.create(
            item=item, name="户口簿复印件", required=True, tolerable=True, sort_order=2
        ),
        photo=Material.objects.create(
            item=item, name="近期免冠照片", required=True, tolerable=True, sort_order=3
        ),
        other=Material.objects.create(item=item, name="其他证明", required=False, sort_order=4),
    )


def handed_in(*materials) -> list[services.Upload]:
    return [services.Upload(file=pdf(), material=m, label=m.name) for m in materials]


def register(clerk, item, *materials, resident=None, at=MONDAY):
    if resident is not None:
        return services.application_submit(resident=resident, item=item, uploads=handed_in(*materials), at=at)
    return services.application_register_walk_in(
        actor=clerk,
        item=item,
        applicant_name="李四",
        applicant_id_number=make_id_number("110105", dt.date(1975, 5, 5), next(_serial)),
        applicant_phone="13800138000",
        uploads=handed_in(*materials),
        at=at,
    )


def accept_deferred(clerk, application, materials, *, committed=True, until=None, at=MONDAY):
    return services.application_accept(
        actor=clerk,
        application=application,
        at=at,
        deferral=services.Deferral(materials=materials, committed=committed, until=until),
    )


def assert_untouched(application):
    fresh = Application.objects.get(pk=application.pk)
    assert fresh.status == ApplicationStatus.SUBMITTED
    assert fresh.defer_until is None and not fresh.defer_committed
    assert not DeferredMaterial.objects.filter(application=application).exists()
    assert clock_for(fresh) is None
    assert not fresh.written_notices.filter(kind=NoticeKind.ACCEPTANCE).exists()


def test_acceptance_with_deferral_records_the_materials_deadline_notice_and_sms(clerk, item, materials):
    application = register(clerk, item, materials.id_card)
    accept_deferred(clerk, application, [materials.hukou, materials.photo])

    application.refresh_from_db()
    assert application.status == ApplicationStatus.ACCEPTED and application.defer_committed
    # 5 working days (applications.defer_days) from Monday 2 March: Monday 9 March
    assert application.defer_until == dt.date(2026, 3, 9)
    assert [d.name for d in application.deferred_materials.all()] == ["户口簿复印件", "近期免冠照片"]
    # the clock starts as for any acceptance
    assert clock_for(application).limit == 10 and application.due_at.date().isoformat() == "2026-03-16"
    notice = application.written_notices.get(kind=NoticeKind.ACCEPTANCE)
    assert notice.facts["deferred"] == ["户口簿复印件", "近期免冠照片"]
    assert notice.facts["defer_until"] == "2026-03-09"
    text = pdf_text(written_notices.render_pdf(notice)).replace("\n", "")
    assert "予以容缺受理" in text and "户口簿复印件" in text and "2026年3月9日前补交" in text
    sms = OutboundMessage.objects.get(purpose="applications.accepted")
    assert "2026年3月9日 前补交：户口簿复印件、近期免冠照片" in sms.body
    event = application.events.get(action=EventAction.ACCEPTED)
    assert "容缺受理" in event.note and "承诺书" in event.note


def test_clerk_may_set_the_deadline(clerk, item, materials):
    application = register(clerk, item, materials.id_card, materials.photo)
    accept_deferred(clerk, application, [materials.hukou], until=dt.date(2026, 3, 20))
    application.refresh_from_db()
    assert application.defer_until == dt.date(2026, 3, 20)


def test_a_missing_material_that_is_not_tolerable_refuses_the_deferral_naming_it(clerk, item, materials):
    application = register(clerk, item, materials.photo)
    with pytest.raises(ValidationFailed) as caught:
        accept_deferred(clerk, application, [materials.id_card, materials.hukou])
    assert "不可容缺" in caught.value.errors["materials"][0]
    assert "申请人居民身份证" in caught.value.errors["materials"][0]
    assert_untouched(application)


def test_deferral_refused_without_the_signed_commitment_or_with_a_past_deadline(clerk, item, materials):
    application = register(clerk, item, materials.id_card, materials.photo)
    with pytest.raises(ValidationFailed) as caught:
        accept_deferred(clerk, application, [materials.hukou], committed=False)
    assert "承诺书" in caught.value.errors["committed"][0]
    with pytest.raises(ValidationFailed) as caught:
        accept_deferred(clerk, application, [materials.hukou], until=dt.date(2026, 3, 2))
    assert "补交期限须晚于受理当日" in caught.value.errors["until"][0]
    assert_untouched(application)


def test_deferral_must_list_every_missing_material_and_only_those(clerk, item, materials):
    application = register(clerk, item, materials.id_card)
    with pytest.raises(ValidationFailed) as caught:
        accept_deferred(clerk, application, [materials.hukou])
    assert "近期免冠照片" in caught.value.errors["materials"][0]
    with pytest.raises(ValidationFailed) as caught:
        accept_deferred(clerk, application, [materials.hukou, materials.photo, materials.other])
    assert "其他证明" in caught.value.errors["materials"][0]
    assert_untouched(application)
    complete = register(clerk, item, materials.id_card, materials.hukou, materials.photo)
    with pytest.raises(ValidationFailed) as caught:
        accept_deferred(clerk, complete, [])
    assert "无需容缺受理" in caught.value.errors["materials"][0]
    assert_untouched(complete)


def test_applicant_supplies_online_and_approval_waits_for_it(clerk, item, materials):
    resident = make_resident()
    application = register(clerk, item, materials.id_card, resident=resident)
    accept_deferred(clerk, application, [materials.hukou, materials.photo])

    with pytest.raises(ServiceError) as caught:
        services.application_conclude(actor=clerk, application=application, outcome=Outcome.APPROVED)
    assert caught.value.code == "deferred_outstanding"
    assert "户口簿复印件、近期免冠照片" in str(caught.value.message)
    assert Application.objects.get(pk=application.pk).status == ApplicationStatus.ACCEPTED

    # a file that is not an outstanding deferred material is refused, nothing attached
    with pytest.raises(ValidationFailed):
        services.application_supply_deferred(
            resident=resident, application=application, uploads=handed_in(materials.id_card)
        )
    assert application.materials.count() == 1

    services.application_supply_deferred(
        resident=resident, application=application, uploads=handed_in(materials.hukou)
    )
    hukou = application.deferred_materials.get(material=materials.hukou)
    assert hukou.supplied_at is not None and hukou.supplied_file.label == "户口簿复印件"
    event = application.events.get(action=EventAction.DEFERRED_SUPPLIED)
    assert event.by_applicant and "尚待补交：近期免冠照片" in event.note
    with pytest.raises(ServiceError) as caught:
        services.application_conclude(actor=clerk, application=application, outcome=Outcome.APPROVED)
    assert "近期免冠照片" in str(caught.value.message) and "户口簿" not in str(caught.value.message)

    services.application_supply_deferred(
        resident=resident, application=application, uploads=handed_in(materials.photo)
    )
    services.application_conclude(actor=clerk, application=application, outcome=Outcome.APPROVED)
    assert application.status == ApplicationStatus.CONCLUDED_APPROVED


def test_denial_is_allowed_with_materials_outstanding(clerk, item, materials):
    application = register(clerk, item, materials.id_card)
    accept_deferred(clerk, application, [materials.hukou, materials.photo])
    services.application_conclude(
        actor=clerk, application=application, outcome=Outcome.DENIED, text="逾期未补交容缺材料"
    )
    assert application.status == ApplicationStatus.CONCLUDED_DENIED


def test_window_receives_the_deferred_material_from_the_detail_page(clerk, item, materials):
    application = register(clerk, item, materials.id_card, materials.photo)
    client = Client()
    client.force_login(clerk)
    page = client.get(f"/hall/staff/applications/{application.pk}/").content.decode()
    assert "容缺受理" in page
    response = client.post(
        f"/hall/staff/applications/{application.pk}/accept-deferred/",
        {"seen_status": "submitted", "until": ""},
    )
    assert response.status_code == 200  # the commitment box was not ticked
    assert "承诺书" in response.content.decode()
    assert_untouched(application)
    response = client.post(
        f"/hall/staff/applications/{application.pk}/accept-deferred/",
        {"seen_status": "submitted", "committed": "on", "until": ""},
    )
    assert response.status_code == 302
    page = client.get(f"/hall/staff/applications/{application.pk}/").content.decode()
    assert "窗口收取容缺材料" in page and "待补交" in page
    response = client.post(
        f"/hall/staff/applications/{application.pk}/supply/",
        {f"material_{materials.hukou.pk}": SimpleUploadedFile("户口簿.pdf", PDF)},
    )
    assert response.status_code == 302
    assert application.deferred_materials.get().supplied_at is not None
    assert application.written_notices.filter(kind=NoticeKind.RECEIPT).count() == 2


def test_overdue_deferrals_are_flagged_and_filtered_in_the_staff_list(clerk, item, materials):
    late = register(clerk, item, materials.id_card)
    accept_deferred(clerk, late, [materials.hukou, materials.photo])  # due 9 March 2026, long past
    current = register(clerk, item, materials.id_card, at=None)
    accept_deferred(clerk, current, [materials.hukou, materials.photo], at=None)
    plain = register(clerk, item, materials.id_card, materials.hukou, materials.photo)
    services.application_accept(actor=clerk, application=plain, at=MONDAY)

    scope = Application.objects.all()
    overdue, errors = filter_applications(scope, {"deferral": "overdue"}, user=clerk)
    assert not errors and list(overdue) == [late]
    outstanding, _errors = filter_applications(scope, {"deferral": "outstanding"}, user=clerk)
    assert set(outstanding) == {late, current}
    _rows, errors = filter_applications(scope, {"deferral": "soon"}, user=clerk)
    assert "deferral" in errors

    client = Client()
    client.force_login(clerk)
    page = client.get("/hall/staff/applications/?deferral=overdue").content.decode()
    assert late.tracking_code in page and current.tracking_code not in page
    assert page.count('data-testid="deferral-overdue"') == 1
    detail = client.get(f"/hall/staff/applications/{late.pk}/").content.decode()
    assert "容缺逾期" in detail
    assert "容缺逾期" not in client.get(f"/hall/staff/applications/{current.pk}/").content.decode()


def test_one_reminder_on_the_working_day_before_the_deadline(clerk, item, materials):
    application = register(clerk, item, materials.id_card)
    accept_deferred(clerk, application, [materials.hukou, materials.photo])  # deadline Monday 9 March

    def reminders():
        return OutboundMessage.objects.filter(purpose="applications.deferred_reminded")

    assert services.deferral_reminders_run(now=local(2026, 3, 5, 10)) == 0  # Thursday: too early
    assert services.deferral_reminders_run(now=local(2026, 3, 6, 7)) == 0  # Friday before 08:00
    assert services.deferral_reminders_run(now=local(2026, 3, 6, 10)) == 1  # Friday, the working day before
    assert services.deferral_reminders_run(now=local(2026, 3, 6, 11)) == 0
    assert services.deferral_reminders_run(now=local(2026, 3, 9, 10)) == 0
    assert reminders().count() == 1
    body = reminders().get().body
    assert "2026年3月9日 前补交：户口簿复印件、近期免冠照片" in body


def test_no_reminder_once_everything_is_supplied(clerk, item, materials):
    application = register(clerk, item, materials.id_card, materials.photo)
    accept_deferred(clerk, application, [materials.hukou])
    services.application_supply_deferred(
        actor=clerk, application=application, uploads=handed_in(materials.hukou), at=local(2026, 3, 3)
    )
    assert services.deferral_reminders_run(now=local(2026, 3, 6, 10)) == 0


def test_api_accepts_with_deferral_and_shows_it(clerk, item, materials):
    application = register(clerk, item, materials.id_card, materials.photo)
    client = api_client_for(clerk)
    url = f"/api/v1/applications/{application.pk}/accept/"
    response = client.post(url, {"deferred_materials": [materials.hukou.pk]}, format="json")
    assert response.status_code == 400 and "承诺书" in str(response.json())
    assert_untouched(application)
    response = client.post(
        url,
        {"deferred_materials": [materials.hukou.pk], "commitment_signed": True, "defer_until": "2026-12-31"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["defer_until"] == "2026-12-31" and body["defer_committed"] is True
    assert [(d["name"], d["supplied"]) for d in body["deferred_materials"]] == [("户口簿复印件", False)]
    response = client.post(
        f"/api/v1/applications/{application.pk}/conclude/", {"outcome": "approved"}, format="json"
    )
    assert response.status_code == 400 and response.json()["code"] == "deferred_outstanding"


def test_resident_page_lists_the_deferred_materials_and_takes_them(clerk, item, materials):
    resident = make_resident()
    application = register(clerk, item, materials.id_card, materials.photo, resident=resident)
    accept_deferred(clerk, application, [materials.hukou])
    client = resident_client(resident)
    page = client.get(f"/hall/me/applications/{application.pk}/").content.decode()
    assert "请于 2026-03-09 前补交" in page and "户口簿复印件" in page
    response = client.post(
        f"/hall/me/applications/{application.pk}/supply/",
        {f"material_{materials.hukou.pk}": SimpleUploadedFile("户口簿.pdf", EXE)},
    )
    assert response.status_code == 400 and "不是 PDF" in response.content.decode()
    assert application.deferred_materials.get().supplied_at is None
    response = client.post(
        f"/hall/me/applications/{application.pk}/supply/",
        {f"material_{materials.hukou.pk}": SimpleUploadedFile("户口簿.pdf", PDF)},
    )
    assert response.status_code == 302
    assert application.deferred_materials.get().supplied_at is not None
    page = client.get(f"/hall/me/applications/{application.pk}/").content.decode()
    assert "已补交" in page and "补交容缺材料</button>" not in page


def supply_by_api(client, application, *pairs):
    """POST supply-deferred with (material, file) pairs, multipart like the window's scanner client."""
    return client.post(
        f"/api/v1/applications/{application.pk}/supply-deferred/",
        {"files": [file for _m, file in pairs], "materials": [m.pk for m, _f in pairs]},
        format="multipart",
    )


def test_api_takes_the_deferred_materials_one_call_after_another(clerk, item, materials):
    application = register(clerk, item, materials.id_card)
    accept_deferred(clerk, application, [materials.hukou, materials.photo], at=None)
    client = api_client_for(clerk)

    response = supply_by_api(client, application, (materials.hukou, pdf("户口簿.pdf")))

    assert response.status_code == 200, response.json()
    body = response.json()
    assert [(d["name"], d["supplied"]) for d in body["deferred_materials"]] == [
        ("户口簿复印件", True),
        ("近期免冠照片", False),
    ]
    event = application.events.get(action=EventAction.DEFERRED_SUPPLIED)
    assert not event.by_applicant and "尚待补交：近期免冠照片" in event.note
    assert application.written_notices.filter(kind=NoticeKind.RECEIPT).count() == 2
    response = client.post(
        f"/api/v1/applications/{application.pk}/conclude/", {"outcome": "approved"}, format="json"
    )
    assert response.json()["code"] == "deferred_outstanding" and "近期免冠照片" in response.json()["detail"]

    response = supply_by_api(client, application, (materials.photo, pdf("照片.pdf")))
    assert response.status_code == 200
    assert all(d["supplied"] for d in response.json()["deferred_materials"])
    response = client.post(
        f"/api/v1/applications/{application.pk}/conclude/", {"outcome": "approved"}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "concluded_approved"


def test_api_takes_several_deferred_materials_in_one_call(clerk, item, materials):
    application = register(clerk, item, materials.id_card)
    accept_deferred(clerk, application, [materials.hukou, materials.photo], at=None)

    response = supply_by_api(
        api_client_for(clerk),
        application,
        (materials.hukou, pdf("户口簿首页.pdf")),
        (materials.hukou, pdf("户口簿本人页.pdf")),
        (materials.photo, pdf("照片.pdf")),
    )

    assert response.status_code == 200, response.json()
    assert not services.outstanding_deferred(application)
    assert application.materials.count() == 4
    assert "容缺材料已全部补齐" in application.events.get(action=EventAction.DEFERRED_SUPPLIED).note


def test_api_refusals_name_the_field_in_chinese_and_keep_nothing(clerk, item, materials):
    application = register(clerk, item, materials.id_card)
    accept_deferred(clerk, application, [materials.hukou, materials.photo], at=None)
    client = api_client_for(clerk)

    def refused(*pairs, field="files"):
        response = supply_by_api(client, application, *pairs)
        assert response.status_code == 400, response.status_code
        return " ".join(response.json()["errors"][field])

    # the type is read from the content, not the name
    assert "不是 PDF" in refused((materials.hukou, SimpleUploadedFile("户口簿.pdf", EXE)))
    # a material the applicant handed in at the start is no deferred material
    assert "“申请人居民身份证”不是待补交的容缺材料" in refused((materials.id_card, pdf()))
    # each file must say which material it is
    response = client.post(
        f"/api/v1/applications/{application.pk}/supply-deferred/",
        {"files": [pdf(), pdf()], "materials": [materials.hukou.pk]},
        format="multipart",
    )
    assert response.status_code == 400 and "一一对应" in response.json()["errors"]["materials"][0]
    assert application.materials.count() == 1
    assert not application.deferred_materials.filter(supplied_at__isnull=False).exists()

    supply_by_api(client, application, (materials.hukou, pdf()))
    assert "“户口簿复印件”已于" in refused((materials.hukou, pdf())) and "无需重复补交" in refused(
        (materials.hukou, pdf())
    )
    assert application.materials.count() == 2


def test_api_supply_on_an_application_without_deferral_says_so(clerk, item, materials):
    application = register(clerk, item, materials.id_card, materials.hukou, materials.photo)
    services.application_accept(actor=clerk, application=application)

    response = supply_by_api(api_client_for(clerk), application, (materials.hukou, pdf()))

    assert response.status_code == 400
    assert response.json()["code"] == "nothing_deferred"
    assert response.json()["detail"] == "该办件没有待补交的容缺材料。"


def test_api_supply_is_for_clerks_in_scope_only(clerk, item, materials, tree):
    application = register(clerk, item, materials.id_card, materials.photo)
    accept_deferred(clerk, application, [materials.hukou], at=None)
    elsewhere = make_user(tree.community_a2, *CLERK_PERMISSIONS)
    onlooker = make_user(tree.community_a1, "applications.view_application")

    assert supply_by_api(api_client_for(elsewhere), application, (materials.hukou, pdf())).status_code == 404
    assert supply_by_api(api_client_for(onlooker), application, (materials.hukou, pdf())).status_code == 403
    assert services.outstanding_deferred(application)
