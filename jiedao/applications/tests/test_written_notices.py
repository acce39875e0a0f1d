"""The written notices handed to the applicant (行政许可法第三十二条): 受理通知书, 不予受理通知书, 补正材料通知书
and 材料接收凭证 — what they say, that a reprint says the same, who may print them, and when."""

from __future__ import annotations

import re

import pytest

from jiedao.applications import services, written_notices
from jiedao.applications.choices import NoticeKind
from jiedao.applications.letter import chinese_date
from jiedao.applications.models import WrittenNotice
from jiedao.applications.tests.factories import (
    CLERK_PERMISSIONS,
    local,
    make_item,
    make_resident,
    pdf,
    submit,
    uploads,
    walk_in,
)
from jiedao.applications.tests.pdftext import pdf_text
from jiedao.catalog.choices import MaterialForm
from jiedao.catalog.models import Material
from jiedao.core.testing import api_client_for, client_for, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(tree):
    return make_user(tree.community_a1, *CLERK_PERMISSIONS, "applications.extend_application")


@pytest.fixture
def item(tree):
    return make_item(
        tree.community_a1,
        name="居住证明开具",
        promised_limit_days=10,
        consultation_phone="0571-87001234",
        complaint_phone="0571-12345",
        window_address="甲一社区便民服务站 2 号窗口",
        office_hours="工作日 8:30-17:00",
    )


def _text(notice: WrittenNotice) -> str:
    """The document's text, lines joined (a wrapped sentence reads whole)."""
    return pdf_text(written_notices.render_pdf(notice)).replace("\n", "")


def _latest(application, kind) -> WrittenNotice:
    return written_notices.written_notice_get(application, kind)


def _resident_client(client, resident):
    session = client.session
    session["resident_id"] = resident.pk
    session.save()
    return client


class TestAcceptance:
    def test_says_who_what_when_until_when_and_how_to_follow_it(self, clerk, item):
        application = walk_in(clerk, item, name="王秀兰", at=local(2026, 3, 2, 9))
        services.application_accept(actor=clerk, application=application, at=local(2026, 3, 3, 10))
        application.refresh_from_db()
        text = _text(_latest(application, NoticeKind.ACCEPTANCE))
        for expected in (
            "受理通知书",
            "王秀兰：",
            "“居住证明开具”",
            application.tracking_code,
            "您于2026年3月2日提交",
            "本机关决定予以受理",
            "受理日期：2026年3月3日。",
            f"办理时限：10 个工作日，本机关承诺于{chinese_date(application.due_at)}前办结",
            application.applicant_phone_masked,
            "“办件查询”",
            "咨询电话：0571-87001234；投诉电话：0571-12345。",
            "甲一社区",  # issued in the name of the application's org
            "（专用章）",
        ):
            assert expected in text, expected
        assert "2026年3月" in chinese_date(application.due_at)
        assert "\ufffd" not in text

    def test_a_reprint_says_the_same_after_the_item_the_org_and_the_due_date_changed(self, clerk, item, tree):
        application = walk_in(clerk, item, at=local(2026, 3, 2, 9))
        services.application_accept(actor=clerk, application=application, at=local(2026, 3, 3, 10))
        first = written_notices.render_pdf(_latest(application, NoticeKind.ACCEPTANCE))
        promised = chinese_date(application.due_at)
        item.name, item.consultation_phone, item.promised_limit_days = "居住证明（新）", "0571-99999999", 5
        item.save()
        tree.community_a1.name = "甲一社区（更名）"
        tree.community_a1.save()
        services.application_suspend(
            actor=clerk, application=application, reason="鉴定", at=local(2026, 3, 4)
        )
        services.application_resume(actor=clerk, application=application, at=local(2026, 3, 10))
        application.refresh_from_db()
        assert chinese_date(application.due_at) != promised  # the due date moved since
        again = written_notices.render_pdf(_latest(application, NoticeKind.ACCEPTANCE))
        assert again == first  # byte for byte
        assert "居住证明开具" in pdf_text(again) and "（更名）" not in pdf_text(again)

    def test_a_deemed_acceptance_says_so(self, clerk, item):
        from jiedao.applications.models import Application

        application = walk_in(clerk, item, at=local(2026, 3, 2, 9))
        services.deemed_acceptance_run(now=local(2026, 3, 20, 9))
        application = Application.objects.get(pk=application.pk)
        assert application.deemed_accepted
        text = _text(_latest(application, NoticeKind.ACCEPTANCE))
        assert "自收到申请材料之日起即为受理" in text and "受理日期：2026年3月2日。" in text

    def test_an_instant_item_is_concluded_on_the_spot(self, clerk, tree):
        from jiedao.catalog.choices import ItemKind

        instant = make_item(
            tree.community_a1, kind=ItemKind.INSTANT, promised_limit_days=0, statutory_limit_days=0
        )
        application = services.application_accept(actor=clerk, application=walk_in(clerk, instant))
        text = _text(_latest(application, NoticeKind.ACCEPTANCE))
        assert "办理时限：即办件，当场办结。" in text and "个工作日" not in text


class TestRefusal:
    def test_gives_the_reason_and_the_right_to_reconsideration_or_suit(self, clerk, item):
        application = walk_in(clerk, item, name="赵六", at=local(2026, 3, 2, 9))
        services.application_reject(
            actor=clerk,
            application=application,
            reason="申请事项不属于本机关职权范围。",
            at=local(2026, 3, 4, 15),
        )
        text = _text(_latest(application, NoticeKind.REFUSAL))
        for expected in (
            "不予受理通知书",
            "赵六：",
            "“居住证明开具”",
            application.tracking_code,
            "本机关决定不予受理，理由如下：",
            "申请事项不属于本机关职权范围。",
            "自收到本通知书之日起六十日内依法申请行政复议",
            "六个月内依法向人民法院提起行政诉讼",
            "2026年3月4日",
        ):
            assert expected in text, expected


class TestCorrection:
    def test_lists_every_item_once_says_the_clock_stops_and_how_to_resubmit(self, clerk, item):
        application = walk_in(clerk, item, at=local(2026, 3, 2, 9))
        services.application_accept(actor=clerk, application=application, at=local(2026, 3, 2, 10))
        long_item = (
            "户口簿复印件须包含户主页和申请人本人页，且复印件须清晰完整、加盖户籍所在派出所印章（原件核对）"
        )
        services.application_request_correction(
            actor=clerk,
            application=application,
            items=["身份证复印件不清晰", long_item],
            at=local(2026, 3, 5, 11),
        )
        text = _text(_latest(application, NoticeKind.CORRECTION))
        for expected in (
            "补正材料通知书",
            "（一次性告知书）",
            "现一次性告知您需要补正的全部内容如下：",
            "1. 身份证复印件不清晰",
            "2. ",
            long_item,
            "补正期间不计入办理时限",
            "自您提交全部补正材料之日起恢复计算",
            "请携带全部补正材料和本通知书到甲一社区便民服务站 2 号窗口（工作日 8:30-17:00）提交",
            "2026年3月5日",
        ):
            assert expected in text, expected

    def test_before_acceptance_an_online_applicant_may_resubmit_online(self, item):
        resident = make_resident(name="钱七")
        application = submit(resident, item)
        clerk = make_user(item.org, *CLERK_PERMISSIONS)
        services.application_request_correction(actor=clerk, application=application, items=["缺少租房合同"])
        text = _text(_latest(application, NoticeKind.CORRECTION))
        assert "钱七：" in text and "1. 缺少租房合同" in text
        assert "本机关自收到您补正的全部材料之日起重新审查是否受理" in text
        assert "在“我的办件”的该申请中一次性提交全部补正材料" in text

    def test_each_round_keeps_its_own_items(self, clerk, item):
        application = walk_in(clerk, item)
        services.application_request_correction(
            actor=clerk, application=application, items=["第一轮：缺户口簿"]
        )
        services.application_resubmit(actor=clerk, application=application, uploads=uploads())
        services.application_request_correction(
            actor=clerk, application=application, items=["第二轮：照片不合格"]
        )
        services.application_resubmit(actor=clerk, application=application, uploads=uploads())
        services.application_accept(actor=clerk, application=application)  # clears correction_items
        application.refresh_from_db()
        assert application.correction_items == []
        first = _text(written_notices.written_notice_get(application, NoticeKind.CORRECTION, 1))
        second = _text(_latest(application, NoticeKind.CORRECTION))
        assert "第一轮：缺户口簿" in first and "第二轮" not in first
        assert "第二轮：照片不合格" in second and "（第 2 份）" in second

    def test_a_long_list_goes_on_to_further_pages_and_nothing_is_lost(self, clerk, item):
        application = walk_in(clerk, item)
        items = [f"第{n}项材料：" + "须提供原件并加盖公章，复印件须清晰完整" * 3 for n in range(1, 41)]
        services.application_request_correction(actor=clerk, application=application, items=items)
        data = written_notices.render_pdf(_latest(application, NoticeKind.CORRECTION))
        assert len(re.findall(rb"/Type /Page\b(?!s)", data)) >= 3
        text = pdf_text(data).replace("\n", "")
        assert all(f"{n}. {line}" in text for n, line in enumerate(items, 1))
        assert "补正材料通知书（续）" in text and "第 3 页" in text and "（专用章）" in text


class TestReceipt:
    def test_lists_each_material_handed_in_at_the_window(self, clerk, item):
        card = Material.objects.create(item=item, name="居民身份证", form=MaterialForm.ORIGINAL, copies=1)
        lease = Material.objects.create(item=item, name="房屋租赁合同", form=MaterialForm.COPY, copies=2)
        application = services.application_register_walk_in(
            actor=clerk,
            item=item,
            applicant_name="孙八",
            applicant_id_number="110105197505050017",
            applicant_phone="13800138000",
            uploads=[
                services.Upload(file=pdf("正面.pdf"), material=card, label=card.name),
                services.Upload(file=pdf("反面.pdf"), material=card, label=card.name),
                services.Upload(file=pdf("合同.pdf"), material=lease, label=lease.name),
                services.Upload(file=pdf("说明.pdf"), label="情况说明"),
            ],
            at=local(2026, 3, 2, 9, 5),
        )
        text = _text(_latest(application, NoticeKind.RECEIPT))
        for expected in (
            "材料接收凭证",
            "申请人：孙八",
            "申请事项：居住证明开具",
            "接收时间：2026年3月2日 9:05",
            f"收件人：{clerk.full_name}",
            "今收到您提交的申请材料如下：",
            "1居民身份证原件1电子文件 2 个",
            "2房屋租赁合同复印件2电子文件 1 个",
            "3情况说明—1电子文件 1 个",
            "不表示申请已被受理",
            application.tracking_code,
        ):
            assert expected in text, expected

    def test_corrections_received_at_the_window_get_their_own_receipt_online_ones_none(self, clerk, item):
        application = walk_in(clerk, item)
        services.application_request_correction(actor=clerk, application=application, items=["缺照片"])
        services.application_resubmit(
            actor=clerk, application=application, uploads=[services.Upload(file=pdf(), label="照片")]
        )
        receipt = _latest(application, NoticeKind.RECEIPT)
        assert receipt.number == 2
        text = _text(receipt)
        assert "今收到您提交的补正材料如下：" in text and "照片" in text and "申请表" not in text

        resident = make_resident()
        online = submit(resident, item)
        services.application_request_correction(actor=clerk, application=online, items=["缺照片"])
        services.application_resubmit(resident=resident, application=online, uploads=uploads())
        assert not online.written_notices.filter(kind=NoticeKind.RECEIPT).exists()


class TestWhenAndWho:
    def test_a_document_the_state_does_not_give_is_refused_in_chinese(self, clerk, item):
        application = walk_in(clerk, item)
        client = client_for(clerk)
        url = f"/hall/staff/applications/{application.pk}/notices/acceptance/"
        response = client.get(url, follow=True)
        assert response.redirect_chain[-1][0] == f"/hall/staff/applications/{application.pk}/"
        assert "该办件当前状态为“已提交，待受理”，尚未受理，没有受理通知书。" in response.content.decode()
        response = api_client_for(clerk).get(f"/api/v1/applications/{application.pk}/notices/refusal/")
        assert response.status_code == 400
        assert response.json() == {
            "code": "bad_status",
            "detail": "该办件当前状态为“已提交，待受理”，未作出不予受理决定，没有不予受理通知书。",
        }

    def test_staff_print_what_they_may_see_and_nothing_else(self, clerk, item, tree):
        application = walk_in(clerk, item)
        services.application_accept(actor=clerk, application=application)
        url = f"/hall/staff/applications/{application.pk}/notices/acceptance/"
        response = client_for(clerk).get(url)
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF-") and response["Content-Disposition"].startswith("inline")
        above = make_user(tree.subdistrict_a, "applications.view_application")
        assert client_for(above).get(url).status_code == 200
        elsewhere = make_user(tree.community_b1, *CLERK_PERMISSIONS)
        assert client_for(elsewhere).get(url).status_code == 404
        api = f"/api/v1/applications/{application.pk}/notices/acceptance/"
        assert api_client_for(elsewhere).get(api).status_code == 404
        assert (
            client_for(clerk).get(f"/hall/staff/applications/{application.pk}/notices/permit/").status_code
            == 404
        )

    def test_a_resident_prints_their_own_only(self, client, item):
        resident = make_resident(name="周九")
        application = submit(resident, item)
        clerk = make_user(item.org, *CLERK_PERMISSIONS)
        services.application_accept(actor=clerk, application=application)
        url = f"/hall/me/applications/{application.pk}/notices/acceptance/"
        _resident_client(client, resident)
        page = client.get(f"/hall/me/applications/{application.pk}/").content.decode()
        assert f'href="{url}1/"' in page and 'aria-label="打印受理通知书"' in page
        response = client.get(f"{url}1/")
        assert response.status_code == 200 and "周九：" in pdf_text(response.content)
        response = client.get(f"/hall/me/applications/{application.pk}/notices/refusal/", follow=True)
        assert "没有不予受理通知书" in response.content.decode()
        _resident_client(client, make_resident())
        assert client.get(url).status_code == 404

    def test_the_staff_page_offers_print_only_for_what_was_issued(self, clerk, item):
        application = walk_in(clerk, item)
        client = client_for(clerk)
        page = client.get(f"/hall/staff/applications/{application.pk}/").content.decode()
        assert 'aria-label="打印材料接收凭证"' in page and "打印受理通知书" not in page
        services.application_accept(actor=clerk, application=application)
        page = client.get(f"/hall/staff/applications/{application.pk}/").content.decode()
        assert f'href="/hall/staff/applications/{application.pk}/notices/acceptance/1/"' in page
        assert "打印不予受理通知书" not in page and "打印补正材料通知书" not in page

    def test_the_api_lists_them_and_serves_each_pdf(self, clerk, item):
        application = walk_in(clerk, item)
        services.application_request_correction(actor=clerk, application=application, items=["缺照片"])
        client = api_client_for(clerk)
        rows = client.get(f"/api/v1/applications/{application.pk}/notices/").json()
        assert [(r["kind"], r["number"]) for r in rows] == [("receipt", 1), ("correction", 1)]
        response = client.get(rows[1]["pdf"])
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert "1. 缺照片" in pdf_text(response.content).replace("\n", "")
        assert response["Content-Disposition"].startswith("attachment")
        assert rows[1]["pdf"] == f"/api/v1/applications/{application.pk}/notices/correction/?number=1"
        base = rows[1]["pdf"].split("?")[0]
        assert client.get(f"{base}?number=x").status_code == 400
        assert client.get(f"{base}?number=5").status_code == 404

    def test_an_act_from_before_notices_were_kept_is_issued_at_the_first_print(self, clerk, item):
        application = walk_in(clerk, item, name="吴十")
        services.application_accept(actor=clerk, application=application)
        application.written_notices.all().delete()
        rows = written_notices.printable(application)
        assert [(r["kind"], r["number"]) for r in rows] == [("acceptance", None)]
        response = client_for(clerk).get(f"/hall/staff/applications/{application.pk}/notices/acceptance/")
        assert response.status_code == 200 and "吴十：" in pdf_text(response.content)
        kept = application.written_notices.get()
        assert kept.kind == NoticeKind.ACCEPTANCE and kept.number == 1
        assert written_notices.render_pdf(kept) == response.content


def test_lines_break_as_chinese_is_set():
    from jiedao.applications.letter import wrap

    lines = wrap("咨询电话：0571-87001234；投诉电话：0571-12345，或者拨打（12345）热线电话。", 16)
    assert all(len(line) <= 16 for line in lines)
    assert any("0571-87001234" in line for line in lines) and any("0571-12345" in line for line in lines)
    assert not any(line[0] in "，。；：）" for line in lines[1:]) and not any(
        line[-1] == "（" for line in lines
    )
    assert "".join(lines) == "咨询电话：0571-87001234；投诉电话：0571-12345，或者拨打（12345）热线电话。"
    assert wrap("一二三四五，六七", 5) == ["一二三四", "五，六七"]  # no line begins with a comma
    assert wrap("一二三（四五", 4) == ["一二三", "（四五"]  # nor ends with an opening bracket


def test_documents_are_written_in_the_sites_language_whatever_the_requests(clerk, item):
    from django.utils import translation

    application = walk_in(clerk, item)
    with translation.override("en"):
        services.application_request_correction(actor=clerk, application=application, items=["缺照片"])
        text = _text(_latest(application, NoticeKind.CORRECTION))
    assert "补正材料通知书" in text and "一次性告知" in text
