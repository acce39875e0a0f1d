"""What the service hall writes down is in Chinese whatever the language of the staff member who acted.

A window clerk using the English interface (or an API client sending Accept-Language: en) used to send the
applicant English SMS, publish an English public notice, store an English outcome document and leave
English entries in the history every Chinese colleague and the applicant read. Answers to the one who
acted (errors) stay in their language."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.test import Client

from jiedao.applications import services
from jiedao.applications.choices import EventAction
from jiedao.applications.models import ApplicationEvent, PublicNotice, Rating
from jiedao.applications.tests.factories import (
    CLERK_PERMISSIONS,
    local,
    make_item,
    make_resident,
    resident_client,
    walk_in,
)
from jiedao.applications.tests.pdftext import pdf_text
from jiedao.audit.models import AuditEvent
from jiedao.catalog.choices import DeliveryMethod
from jiedao.core.testing import api_client_for, client_for, make_user
from jiedao.registry.validators import make_id_number
from jiedao.sms.models import OutboundMessage
from jiedao.timelimits.models import ClockEvent

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ENGLISH_WORD = re.compile(r"[a-z]{3,}")


LINK = re.compile(r"https?://\S+")


def english_in(texts) -> list[str]:
    # A link (the rating link of the conclusion SMS) is an address, not English.
    return [text for text in texts if ENGLISH_WORD.search(LINK.sub("", text or ""))]


@pytest.fixture
def clerk(tree):
    return make_user(
        tree.community_a1,
        *CLERK_PERMISSIONS,
        "applications.extend_application",
        "applications.view_rectification",
        "applications.change_rectification",
    )


def test_a_clerk_working_in_english_leaves_chinese_records_and_texts(clerk, tree):
    item = make_item(tree.community_a1, publishes_result=True, name="困难补助")
    application = walk_in(clerk, item, phone="13800138000", name="张三明")
    api = api_client_for(clerk)
    url = f"/api/v1/applications/{application.pk}/"

    assert api.post(url + "accept/", **EN).status_code == 200
    assert api.post(url + "suspend/", {"reason": "等待现场核查"}, format="json", **EN).status_code == 200
    assert api.post(url + "resume/", **EN).status_code == 200
    response = api.post(url + "conclude/", {"outcome": "approved", "text": "符合条件"}, format="json", **EN)
    assert response.status_code == 200, response.content
    # the answer to the clerk is in the clerk's language
    assert response.json()["status_display"] == "Concluded (approved)"

    texts = list(OutboundMessage.objects.order_by("pk").values_list("body", flat=True))
    assert len(texts) == 4 and not english_in(texts), texts
    assert "已受理" in texts[0] and "中止办理" in texts[1] and "恢复办理" in texts[2] and "已办结" in texts[3]

    notes = list(ApplicationEvent.objects.filter(application=application).values_list("note", flat=True))
    assert not english_in(notes), notes
    assert any(note.startswith("公示期 ") for note in notes)

    notice = PublicNotice.objects.get(application=application)
    assert notice.title == "关于张*明困难补助申请办理结果的公示", notice.title
    assert not english_in([notice.title, notice.body]) and "办理结果：准予" in notice.body

    application.refresh_from_db()
    document = pdf_text(application.outcome_document.read())
    assert "办结通知书" in document and "准予" in document and not english_in([document])

    reasons = ClockEvent.objects.values_list("reason", flat=True)
    assert "等待现场核查" in reasons and not english_in(reasons)
    assert not english_in(AuditEvent.objects.values_list("target_repr", flat=True))


def test_errors_still_answer_the_clerk_in_english(clerk, tree):
    application = walk_in(clerk, make_item(tree.community_a1), phone="13800138000")
    api = api_client_for(clerk)

    response = api.post(
        f"/api/v1/applications/{application.pk}/conclude/", {"outcome": "approved"}, format="json", **EN
    )

    assert response.status_code == 400
    assert ENGLISH_WORD.search(response.json()["detail"]) and not OutboundMessage.objects.exists()


def test_an_unsatisfied_rating_recorded_in_english_reads_in_chinese(clerk, tree):
    application = walk_in(clerk, make_item(tree.community_a1), phone="13800138000")
    api = api_client_for(clerk)
    api.post(f"/api/v1/applications/{application.pk}/accept/", **EN)
    api.post(f"/api/v1/applications/{application.pk}/conclude/", {"outcome": "approved"}, format="json", **EN)

    # A colleague who did not handle it transcribes the applicant's paper 评价表.
    colleague = make_user(tree.community_a1, *CLERK_PERMISSIONS)
    response = client_for(colleague).post(
        f"/hall/staff/applications/{application.pk}/rate/",
        {"level": 2, "comment": "等太久", "paper_number": "PJ-0001"},
        **EN,
    )

    assert response.status_code == 302
    assert Rating.objects.get(application=application).level == 2
    rated = ApplicationEvent.objects.filter(application=application).order_by("pk").last()
    assert rated.note == "不满意"


def test_a_failed_tracking_look_up_answers_an_english_visitor_in_english(clerk, tree):
    application = walk_in(clerk, make_item(tree.community_a1), phone="13800138000")
    answer = Client().post(
        "/api/v1/public/track/",
        {"code": application.tracking_code, "phone": "13900139000"},
        content_type="application/json",
        **EN,
    )
    assert answer.status_code == 400
    assert "The tracking code or phone number is incorrect." in str(answer.json())


def test_what_the_system_wrote_in_the_history_reads_in_each_readers_language(clerk, tree):
    """The notes the hall words itself (公示, 送达, 延期) are kept in Chinese and shown to an English reader in
    English, on the staff page and in the applicant's tracking; what a person typed stays as typed."""
    leader = make_user(tree.subdistrict_a, "applications.view_application", "applications.approve_extension")
    leader.full_name = "陈海燕"
    leader.save(update_fields=["full_name"])
    item = make_item(
        tree.community_a1, publishes_result=True, name="困难补助", delivery_methods=[DeliveryMethod.WINDOW]
    )
    application = walk_in(clerk, item, phone="13800138000", at=local(2026, 3, 2, 9))
    services.application_accept(actor=clerk, application=application, at=local(2026, 3, 2, 10))
    services.application_extension_request(
        actor=clerk, application=application, days=5, reason="需要现场勘验", at=local(2026, 3, 4)
    )
    services.application_extension_decide(
        actor=leader, application=application, approve=True, note="同意延长。", at=local(2026, 3, 5)
    )
    services.application_conclude(actor=clerk, application=application, outcome="approved", text="符合条件")
    services.application_deliver(actor=clerk, application=application, note="本人领取")
    notes = list(application.events.values_list("note", flat=True))
    assert "窗口领取：本人领取" in notes and any(note.startswith("公示期 ") for note in notes)
    assert "延长 5 个工作日，办理期限延至 2026-03-23。延长理由：需要现场勘验\n申请：" in "\n".join(notes)

    url = f"/hall/staff/applications/{application.pk}/"
    english = client_for(clerk).get(url, **EN).content.decode()
    assert "Pick-up at the window: 本人领取" in english and "窗口领取：" not in english
    assert "On public notice from " in english and "公示期" not in english
    assert "Extended by 5 working days; new deadline 2026-03-23. Reason: 需要现场勘验" in english
    assert "approved by: 陈海燕; decision note: 同意延长。" in english
    assert "符合条件" in english  # the conclusion text the clerk typed
    chinese = client_for(clerk).get(url).content.decode()
    assert "窗口领取：本人领取" in chinese and "Pick-up at the window" not in chinese

    track = {"code": application.tracking_code, "phone": "13800138000"}
    answer = Client().post("/api/v1/public/track/", track, content_type="application/json", **EN).json()
    notes = [row["note"] for row in answer["history"]]
    assert "Extended by 5 working days; new deadline 2026-03-23. Reason: 需要现场勘验" in notes
    assert not [note for note in notes if "陈海燕" in note]  # the staff line stays off the public history
    answer = Client().post("/api/v1/public/track/", track, content_type="application/json").json()
    assert "延长 5 个工作日，办理期限延至 2026-03-23。延长理由：需要现场勘验" in [
        row["note"] for row in answer["history"]
    ]


def test_linking_a_window_application_to_the_applicants_account_is_in_the_history(clerk, tree):
    """The history says when a window application went on the applicant's resident account (at registration,
    or when they verified their account later), in each reader's language; the API says it is there."""
    resident = make_resident(name="张三明")
    item = make_item(tree.community_a1, name="老年优待证办理")
    application = walk_in(clerk, item, name="张三明", id_number=resident.id_number, phone=resident.phone)
    [linked] = application.events.filter(action=EventAction.LINKED)
    assert linked.note == "申请人已实名认证，本办件已归入其群众账号，可在网上查看和办理。"
    assert linked.actor == clerk

    url = f"/hall/staff/applications/{application.pk}/"
    chinese = client_for(clerk).get(url).content.decode()
    assert "归入群众账号" in chinese and linked.note in chinese
    mine = resident_client(resident).get(f"/hall/me/applications/{application.pk}/").content.decode()
    assert "归入群众账号" in mine and linked.note in mine
    # English once the catalogue has the new msgids
    english = html.unescape(client_for(clerk).get(url, **EN).content.decode())
    assert "Put on the applicant's resident account" in english
    assert "The applicant's account is verified: this application is on it" in english
    assert linked.note not in english

    api = api_client_for(clerk)
    assert api.get(f"/api/v1/applications/{application.pk}/").json()["on_applicant_account"] is True
    stranger = walk_in(clerk, item, name="李四")
    assert api.get(f"/api/v1/applications/{stranger.pk}/").json()["on_applicant_account"] is False
    assert not stranger.events.filter(action=EventAction.LINKED).exists()


def test_verifying_the_account_later_adds_the_link_to_the_history(clerk, tree):
    number = make_id_number("110105", dt.date(1962, 3, 8), 17)
    application = walk_in(
        clerk, make_item(tree.community_a1), name="赵六", id_number=number, phone="13700000003"
    )
    account = make_resident(phone="13700000003", verified=False)
    response = resident_client(account).post(
        "/hall/account/identity/", {"real_name": "赵六", "id_number": number}, **EN
    )
    assert response.status_code == 302
    [linked] = application.events.filter(action=EventAction.LINKED)
    assert linked.by_applicant and linked.actor is None
    assert linked.note == "申请人完成实名认证，本办件已归入其群众账号，可在网上查看和办理。"  # not in English
    answer = api_client_for(clerk).get(f"/api/v1/applications/{application.pk}/").json()
    assert answer["on_applicant_account"] is True
    page = client_for(clerk).get(f"/hall/staff/applications/{application.pk}/", **EN).content.decode()
    assert "The applicant verified their account: this application is now on it" in page
