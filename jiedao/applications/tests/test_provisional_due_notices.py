"""A provisional promise date (2027 marked provisional, weekends only) is said so on the printed 受理通知书;
when entering the year's notice later moves it, the application's history records it and the applicant is
texted once."""

import pytest

from jiedao.applications import services, written_notices
from jiedao.applications.choices import NoticeKind
from jiedao.applications.tests.factories import CLERK_PERMISSIONS, local, make_item, walk_in
from jiedao.applications.tests.pdftext import pdf_text
from jiedao.core.testing import make_user
from jiedao.sms.models import OutboundMessage
from jiedao.timelimits.tests.test_recompute import admin, enter_notice, recompute  # noqa: F401

pytestmark = pytest.mark.django_db
CAVEAT = "上述办结日期暂按周末计算，如遇国家法定节假日安排将相应顺延"


def _accepted(tree, phone="13800138000"):
    clerk = make_user(tree.community_a1, *CLERK_PERMISSIONS)
    item = make_item(tree.community_a1, promised_limit_days=48, statutory_limit_days=60)
    application = walk_in(clerk, item, phone=phone, at=local(2026, 12, 7))
    services.application_accept(actor=clerk, application=application, at=local(2026, 12, 7))
    return application


def _notice_text(application) -> str:
    notice = written_notices.written_notice_get(application, NoticeKind.ACCEPTANCE)
    return pdf_text(written_notices.render_pdf(notice)).replace("\n", "")


def test_the_acceptance_notice_says_a_provisional_date_may_move(tree):
    application = _accepted(tree)
    text = _notice_text(application)
    assert "2027年2月12日前办结" in text and CAVEAT in text


def test_a_moved_promise_date_is_recorded_and_texted_once(tree, admin):  # noqa: F811
    application = _accepted(tree)
    landline = _accepted(tree, phone="010-12345678")  # cannot be texted, still recorded
    enter_notice(admin)
    recompute(now=local(2026, 12, 8))
    history = [e.note for e in application.events.filter(action="deadline_moved")]
    assert history == ["因节假日安排调整，办结期限由 2027-02-12 调整为 2027-02-18。"]
    assert landline.events.filter(action="deadline_moved").count() == 1
    [sms] = OutboundMessage.objects.filter(purpose="applications.deadline_moved")
    assert "办结期限由2027年2月12日调整为2027年2月18日" in sms.body and application.tracking_code in sms.body
    # The applicant's view of the history shows it too.
    assert any("调整为 2027-02-18" in h["note"] for h in services.public_history(application))
    # Running the recompute again moves nothing: no second entry, no second SMS.
    recompute(now=local(2026, 12, 8))
    assert application.events.filter(action="deadline_moved").count() == 1
    assert OutboundMessage.objects.filter(purpose="applications.deadline_moved").count() == 1
