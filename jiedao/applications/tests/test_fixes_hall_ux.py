"""Exploratory-testing fixes of the service hall (窗口收件, 即办件, tracking, notices)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from jiedao.applications import services
from jiedao.applications.models import Application
from jiedao.applications.tests.factories import (
    CLERK_PERMISSIONS,
    local,
    make_item,
    make_resident,
    resident_client,
    submit,
    walk_in,
)
from jiedao.catalog.choices import ItemKind
from jiedao.core.testing import client_for, make_user
from jiedao.timelimits.choices import ClockStatus
from jiedao.timelimits.services import clock_for
from jiedao.workcalendar.services import CHINA_TZ

pytestmark = pytest.mark.django_db

WALK_IN = "/hall/staff/applications/new/"


@pytest.fixture
def clerk(tree):
    return make_user(tree.community_a1, *CLERK_PERMISSIONS)


class TestWalkInItemName:
    def test_the_chosen_items_name_is_shown_and_selected_in_the_picker(self, clerk, tree):
        make_item(tree.community_a1, name="老年优待证办理")
        item = make_item(tree.community_a1, name="居住证明开具")
        page = client_for(clerk).get(f"{WALK_IN}?item={item.pk}").content.decode()
        shown = page.split('data-testid="walk-in-item">')[1].split("</p>")[0]
        assert "居住证明开具" in shown and "item" not in shown
        assert f'<option value="{item.pk}" selected>居住证明开具</option>' in page
        assert "更换事项" in page

    def test_without_an_item_the_page_asks_to_choose_one(self, clerk, tree):
        make_item(tree.community_a1)
        page = client_for(clerk).get(WALK_IN).content.decode()
        assert 'data-testid="walk-in-item"' not in page and "先选择事项" in page


class TestInstantItemsDeadline:
    """即办件 are concluded on the spot: their deadline is the day of acceptance, shown as 即办, not a date."""

    @pytest.fixture
    def instant(self, tree):
        return make_item(
            tree.community_a1,
            name="老年优待证办理",
            kind=ItemKind.INSTANT,
            promised_limit_days=0,
            statutory_limit_days=1,
        )

    def test_the_due_date_is_the_day_of_acceptance(self, clerk, instant):
        application = walk_in(clerk, instant, at=local(2026, 3, 6, 10))  # a Friday
        application = services.application_accept(
            actor=clerk, application=application, at=local(2026, 3, 6, 10, 5)
        )
        assert application.due_at.astimezone(CHINA_TZ).date() == dt.date(2026, 3, 6)  # not Monday 9 March
        assert not application.concluded_overdue
        assert clock_for(application).status == ClockStatus.STOPPED

    def test_staff_list_resident_page_and_tracking_say_instant(self, clerk, instant):
        resident = make_resident(phone="13800138123")
        application = submit(resident, instant)
        application = services.application_accept(actor=clerk, application=application)
        staff = client_for(clerk)
        row = staff.get("/hall/staff/applications/").content.decode().split(application.tracking_code)[1]
        assert "即办（当场办结）" in row.split("</tr>")[0]
        detail = staff.get(f"/hall/staff/applications/{application.pk}/").content.decode()
        assert "即办（当场办结）" in detail
        mine = resident_client(resident)
        assert "即办（当场办结）" in mine.get("/hall/me/").content.decode()
        assert "即办（当场办结）" in mine.get(f"/hall/me/applications/{application.pk}/").content.decode()
        tracked = Client().post(
            "/hall/track/",
            {"code": application.tracking_code, "phone": "13800138123"},
            REMOTE_ADDR="10.9.9.9",
        )
        due = tracked.content.decode().split('data-field="due">')[1].split("</dd>")[0]
        assert "即办（当场办结）" in due
        # The page's script reads the API: it says so too, rather than leaving the page to show a date.
        api = Client().post(
            "/api/v1/public/track/",
            {"code": application.tracking_code, "phone": "13800138123"},
            content_type="application/json",
            REMOTE_ADDR="10.9.9.8",
        )
        assert api.json()["instant"] is True

    def test_is_instant_is_decided_once_for_the_staff_detail_page(self, clerk, instant, tree):
        from jiedao.applications.selectors import is_instant

        quick = services.application_accept(actor=clerk, application=walk_in(clerk, instant))
        promised = walk_in(clerk, make_item(tree.community_a1), at=local(2026, 3, 6, 10))
        promised = services.application_accept(actor=clerk, application=promised, at=local(2026, 3, 6, 10, 5))
        assert is_instant(quick) and not is_instant(promised)
        staff = client_for(clerk)
        quick_page = staff.get(f"/hall/staff/applications/{quick.pk}/")
        promised_page = staff.get(f"/hall/staff/applications/{promised.pk}/")
        assert quick_page.context["instant"] is True and promised_page.context["instant"] is False
        assert 'data-testid="due-instant"' not in promised_page.content.decode()
        assert "2026-03-20" in promised_page.content.decode()

    def test_a_promised_item_still_shows_its_date(self, clerk, tree):
        application = walk_in(clerk, make_item(tree.community_a1), at=local(2026, 3, 6, 10))
        services.application_accept(actor=clerk, application=application, at=local(2026, 3, 6, 10, 5))
        row = client_for(clerk).get("/hall/staff/applications/").content.decode()
        assert "2026-03-20" in row and "即办（当场办结）" not in row


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


class TestFullWidthTrackingCode:
    def test_a_code_typed_in_full_width_finds_the_application_on_the_page_and_the_api(self, clerk, tree):
        from rest_framework.test import APIClient

        application = walk_in(clerk, make_item(tree.community_a1, name="临时救助"), phone="13800138000")
        code = _full_width(application.tracking_code.lower())
        assert code != application.tracking_code
        page = Client().post("/hall/track/", {"code": code, "phone": "13800138000"}, REMOTE_ADDR="10.8.8.1")
        assert page.status_code == 200 and "临时救助" in page.content.decode()
        response = APIClient().post(
            "/api/v1/public/track/",
            {"code": code, "phone": "13800138000"},
            format="json",
            REMOTE_ADDR="10.8.8.2",
        )
        assert response.status_code == 200 and response.json()["tracking_code"] == application.tracking_code

    def test_a_code_written_in_groups_with_dashes_finds_the_application(self, clerk, tree):
        # Read out over the phone or copied from a note as XJAB-KM3T-Y8CA (or with a full-width dash).
        application = walk_in(clerk, make_item(tree.community_a1, name="临时救助"), phone="13800138000")
        code = application.tracking_code
        for typed in (f"{code[:4]}-{code[4:8]}-{code[8:]}".lower(), f"{code[:6]}－{code[6:]}"):
            page = Client().post(
                "/hall/track/", {"code": typed, "phone": "13800138000"}, REMOTE_ADDR="10.8.8.3"
            )
            assert page.status_code == 200 and "临时救助" in page.content.decode(), typed


class TestSuspendReason:
    def test_the_reason_is_marked_required_and_an_empty_one_is_refused_in_chinese(self, clerk, tree):
        application = walk_in(clerk, make_item(tree.community_a1))
        services.application_accept(actor=clerk, application=application)
        client = client_for(clerk)
        page = client.get(f"/hall/staff/applications/{application.pk}/").content.decode()
        suspend = page.split(f'action="/hall/staff/applications/{application.pk}/suspend/"')[1]
        label = suspend.split('for="id_suspend_reason"')[1].split("</label>")[0]
        assert "理由" in label and "*" in label
        response = client.post(f"/hall/staff/applications/{application.pk}/suspend/", {"reason": " "})
        assert "请填写中止办理的原因。" in response.content.decode()
        application.refresh_from_db()
        assert application.status == "accepted"


class TestPhotoNotice:
    def test_only_an_application_with_a_photo_says_photos_were_turned_upright(self, clerk, tree):
        from django.core.files.uploadedfile import SimpleUploadedFile

        from jiedao.applications.tests.factories import PNG

        item = make_item(tree.community_a1)
        client = client_for(clerk)
        pdf_only = walk_in(clerk, item)
        page = client.get(f"/hall/staff/applications/{pdf_only.pk}/").content.decode()
        assert "照片已按拍摄方向转正" not in page
        with_photo = services.application_register_walk_in(
            actor=clerk,
            item=item,
            applicant_name="李四",
            applicant_id_number="110105197505050017",
            applicant_phone="13800138000",
            uploads=[
                services.Upload(
                    file=SimpleUploadedFile("证件.png", PNG, content_type="image/png"), label="身份证"
                )
            ],
        )
        page = client.get(f"/hall/staff/applications/{with_photo.pk}/").content.decode()
        assert "照片已按拍摄方向转正" in page


class TestMailAddress:
    def test_a_too_short_address_is_called_incomplete_and_an_empty_one_missing(self, clerk, tree):
        from jiedao.catalog.choices import DeliveryMethod

        item = make_item(tree.community_a1, delivery_methods=[DeliveryMethod.WINDOW, DeliveryMethod.MAIL])
        data = {
            "item": str(item.pk),
            "applicant_name": "李四",
            "applicant_id_number": "110105197505050017",
            "applicant_phone": "13800138000",
            "delivery_method": "mail",
            "delivery_address": "杭州",
        }
        client = client_for(clerk)
        page = client.post(f"{WALK_IN}?item={item.pk}", data).content.decode()
        assert "邮寄地址不完整（至少 8 个字）" in page and "请填写邮寄地址" not in page
        assert 'value="李四"' in page and "杭州</textarea>" in page  # nothing typed is lost
        page = client.post(f"{WALK_IN}?item={item.pk}", {**data, "delivery_address": ""}).content.decode()
        assert "请填写邮寄地址" in page
        assert not Application.objects.filter(item=item).exists()


class TestCorrectionNoticeWording:
    def _text(self, clerk, item) -> str:
        from jiedao.applications import written_notices
        from jiedao.applications.choices import NoticeKind
        from jiedao.applications.tests.pdftext import pdf_text

        application = walk_in(clerk, item, at=local(2026, 3, 2, 9))
        services.application_request_correction(
            actor=clerk, application=application, items=["身份证复印件不清晰"], at=local(2026, 3, 3, 9)
        )
        notice = written_notices.written_notice_get(application, NoticeKind.CORRECTION)
        return pdf_text(written_notices.render_pdf(notice)).replace("\n", "")

    def test_an_item_named_apply_is_not_followed_by_apply_again_nor_a_licence_statute(self, clerk, tree):
        from jiedao.catalog.choices import PowerType

        item = make_item(tree.community_a1, name="临时救助（困难救助）申请", power_type=PowerType.BENEFIT)
        text = self._text(clerk, item)
        assert "“临时救助（困难救助）申请”（查询码" in text and "申请”申请" not in text
        assert "行政许可法" not in text and "现一次性告知您需要补正的全部内容如下：" in text

    def test_a_licence_cites_article_32(self, clerk, tree):
        from jiedao.catalog.choices import PowerType

        item = make_item(tree.community_a1, name="食品经营许可", power_type=PowerType.LICENSING)
        text = self._text(clerk, item)
        assert "“食品经营许可”申请（查询码" in text
        assert "依照《中华人民共和国行政许可法》第三十二条" in text
