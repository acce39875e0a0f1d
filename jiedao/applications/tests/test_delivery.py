"""送达: an item with a result to hand over (a card, a certificate) says how in its guide; the applicant
chooses window pick-up or free mail when applying; the conclusion SMS says where to collect it; the window
records the hand-over or the waybill, which is texted to the applicant."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse

from jiedao.applications import services
from jiedao.applications.choices import EventAction, Outcome
from jiedao.applications.models import Application
from jiedao.applications.tests.factories import (
    CLERK_PERMISSIONS,
    PDF,
    make_item,
    make_resident,
    resident_client,
    uploads,
    walk_in,
)
from jiedao.catalog.choices import DeliveryMethod
from jiedao.catalog.tests.factories import make_item as catalog_item
from jiedao.core.exceptions import Conflict, ServiceError, ValidationFailed
from jiedao.core.testing import api_client_for, client_for, make_user
from jiedao.registry.validators import make_id_number
from jiedao.sms.models import OutboundMessage

pytestmark = pytest.mark.django_db
BOTH = [DeliveryMethod.WINDOW, DeliveryMethod.MAIL]
ADDRESS = "浙江省杭州市明湖区柳浪路 1 号 3 幢 201 室 赵春梅 13900001234"


@pytest.fixture
def clerk(tree):
    return make_user(tree.community_a1, *CLERK_PERMISSIONS)


@pytest.fixture
def item(tree):
    return make_item(tree.community_a1, name="老年优待证办理", delivery_methods=BOTH)


def accepted(clerk, application):
    services.application_accept(actor=clerk, application=application)
    return application


def test_the_guide_and_the_apply_form_offer_the_items_methods(item):
    guide = Client().get(f"/guide/{item.code}/").content.decode()
    assert "送达方式" in guide and "窗口领取、邮寄送达（邮寄免费）" in guide
    client = resident_client(make_resident())
    page = client.get(reverse("applications:resident_apply", args=[item.pk])).content.decode()
    assert "办理结果送达方式" in page and "邮寄地址" in page
    plain = make_item(item.org, name="家庭医生签约")
    page = client.get(reverse("applications:resident_apply", args=[plain.pk])).content.decode()
    assert "办理结果送达方式" not in page


def test_mail_needs_an_address_which_is_stored_encrypted(item):
    resident = make_resident()
    with pytest.raises(ValidationFailed) as caught:
        services.application_submit(resident=resident, item=item, uploads=uploads(), delivery_method="mail")
    assert "请填写邮寄地址" in caught.value.errors["delivery_address"][0]
    with pytest.raises(ValidationFailed) as caught:
        services.application_submit(resident=resident, item=item, uploads=uploads(), delivery_method="drone")
    assert caught.value.errors["delivery_method"] == ["请选择送达方式：窗口领取、邮寄送达。"]
    assert not Application.objects.exists()
    application = services.application_submit(
        resident=resident, item=item, uploads=uploads(), delivery_method="mail", delivery_address=ADDRESS
    )
    application.refresh_from_db()
    assert application.delivery_method == "mail" and application.delivery_address == ADDRESS
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT delivery_address FROM applications_application WHERE id = %s", [application.pk]
        )
        assert "柳浪路" not in cursor.fetchone()[0]


def test_window_pick_up_told_at_conclusion_and_recorded(clerk, tree):
    item = make_item(tree.community_a1, name="就业创业证申领", delivery_methods=[DeliveryMethod.WINDOW])
    application = accepted(clerk, walk_in(clerk, item, phone="13800138000"))
    assert application.delivery_method == "window"  # the only method the item offers
    services.application_conclude(actor=clerk, application=application, outcome=Outcome.APPROVED)
    sms = OutboundMessage.objects.get(purpose="applications.concluded")
    assert f"请携带身份证件到{item.window_address}领取办理结果" in sms.body

    web = client_for(clerk)
    detail = reverse("applications:staff_detail", args=[application.pk])
    page = web.get(detail).content.decode()
    assert "待送达" in page and "登记送达" in page
    response = web.post(reverse("applications:staff_deliver", args=[application.pk]), {"note": ""})
    assert "请填写送达记录" in response.content.decode()
    web.post(reverse("applications:staff_deliver", args=[application.pk]), {"note": "本人领取"})
    application.refresh_from_db()
    assert application.delivered_at is not None and application.delivery_note == "本人领取"
    assert application.events.get(action=EventAction.DELIVERED).note == "窗口领取：本人领取"
    assert not OutboundMessage.objects.filter(purpose="applications.delivered").exists()
    page = web.get(detail).content.decode()
    assert "送达：本人领取" in page
    assert reverse("applications:staff_deliver", args=[application.pk]) not in page
    with pytest.raises(Conflict) as caught:
        services.application_deliver(actor=clerk, application=application, note="再次领取")
    assert "已于" in str(caught.value.message) and "本人领取" in str(caught.value.message)


def test_mail_waybill_is_texted(clerk, item):
    resident = make_resident(phone="13900001234")
    application = services.application_submit(
        resident=resident, item=item, uploads=uploads(), delivery_method="mail", delivery_address=ADDRESS
    )
    accepted(clerk, application)
    services.application_conclude(actor=clerk, application=application, outcome=Outcome.APPROVED)
    assert "免费邮寄" in OutboundMessage.objects.get(purpose="applications.concluded").body
    with pytest.raises(ValidationFailed) as caught:
        services.application_deliver(actor=clerk, application=application, note=" ")
    assert caught.value.errors["note"] == ["请填写快递公司和运单号。"]
    services.application_deliver(actor=clerk, application=application, note="EMS 1234567890123")
    sms = OutboundMessage.objects.get(purpose="applications.delivered")
    assert "已寄出：EMS 1234567890123" in sms.body and application.tracking_code in sms.body


def test_no_delivery_for_a_denial_or_an_item_without_a_result(clerk, tree):
    item = make_item(tree.community_a1, delivery_methods=[DeliveryMethod.WINDOW])
    denied = accepted(clerk, walk_in(clerk, item))
    services.application_conclude(actor=clerk, application=denied, outcome=Outcome.DENIED, text="不符合条件")
    with pytest.raises(ServiceError) as caught:
        services.application_deliver(actor=clerk, application=denied, note="本人领取")
    assert "只有准予办结的办件有结果可送达" in str(caught.value.message)
    plain = accepted(clerk, walk_in(clerk, make_item(tree.community_a1)))
    services.application_conclude(actor=clerk, application=plain, outcome=Outcome.APPROVED)
    with pytest.raises(ServiceError) as caught:
        services.application_deliver(actor=clerk, application=plain, note="本人领取")
    assert "没有需要送达的实物结果" in str(caught.value.message)


def test_catalog_api_takes_and_checks_delivery_methods(tree):
    item = catalog_item(tree.community_a1, delivery_methods=BOTH)
    client = api_client_for(
        make_user(tree.subdistrict_a, "catalog.view_serviceitem", "catalog.change_serviceitem")
    )
    url = f"/api/v1/service-items/{item.pk}/"
    assert client.get(url).json()["delivery_methods"] == BOTH
    response = client.patch(url, {"delivery_methods": ["courier"]}, format="json")
    assert response.status_code == 400 and "delivery_methods" in response.json()["errors"]
    response = client.patch(url, {"delivery_methods": ["window"]}, format="json")
    assert response.status_code == 200
    item.refresh_from_db()
    assert item.delivery_methods == ["window"]


def test_api_registers_with_a_delivery_method_and_records_the_delivery(clerk, tree):
    item = make_item(tree.community_a1, delivery_methods=BOTH)
    api = api_client_for(make_user(tree.community_a1, *CLERK_PERMISSIONS))
    form = {
        "item": item.pk,
        "applicant_name": "钱多多",
        "applicant_id_number": make_id_number("110105", dt.date(1970, 3, 3), 11),
        "applicant_phone": "13900005555",
        "delivery_method": "mail",
        "files": [SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf")],
    }
    response = api.post("/api/v1/applications/submit/", form, format="multipart")
    assert (
        response.status_code == 400 and "请填写邮寄地址" in response.json()["errors"]["delivery_address"][0]
    )
    form["delivery_address"] = ADDRESS
    form["files"] = [SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf")]
    body = api.post("/api/v1/applications/submit/", form, format="multipart").json()
    assert body["delivery_method"] == "mail" and body["delivered_at"] is None
    pk = body["id"]
    api.post(f"/api/v1/applications/{pk}/accept/")
    api.post(f"/api/v1/applications/{pk}/conclude/", {"outcome": "approved", "text": ""}, format="json")
    response = api.post(f"/api/v1/applications/{pk}/deliver/", {"note": "EMS 9876543210987"}, format="json")
    assert response.status_code == 200 and response.json()["delivery_note"] == "EMS 9876543210987"
    again = api.post(f"/api/v1/applications/{pk}/deliver/", {"note": "EMS 1"}, format="json")
    assert again.status_code == 409
