"""好差评 by the applicant, not by the clerk (issue #5; 国办发〔2019〕51号): a single-use link in the
conclusion SMS (/r/<token>, no login), the same link as a QR code on the clerk's page, a 评价器 facing the
applicant at each window; staff only transcribe a signed paper 评价表, and never for an application they
handled."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from jiedao.applications import services
from jiedao.applications.choices import Outcome, RatingChannel, RatingLevel
from jiedao.applications.models import Rating, RatingToken, Rectification, ServiceWindow
from jiedao.applications.tests.factories import CLERK_PERMISSIONS, make_item, paired_pad, walk_in
from jiedao.core.testing import client_for, make_user
from jiedao.sms.models import OutboundMessage

pytestmark = pytest.mark.django_db

LINK = re.compile(r"http://127\.0\.0\.1:8000/r/([A-Za-z0-9_-]+)")


@pytest.fixture
def clerk(tree):
    return make_user(tree.community_a1, *CLERK_PERMISSIONS, "applications.view_rating")


def concluded(clerk, application):
    services.application_accept(actor=clerk, application=application)
    services.application_conclude(actor=clerk, application=application, outcome=Outcome.APPROVED, text="准予")
    application.refresh_from_db()
    return application


def sms_link(application) -> str:
    """The rating link's token in the conclusion SMS the applicant received."""
    body = OutboundMessage.objects.get(
        purpose="applications.concluded", body__contains=application.tracking_code
    ).body
    match = LINK.search(body)
    assert match, body
    return match.group(1)


def test_the_conclusion_sms_carries_a_short_rating_link(clerk, tree):
    application = concluded(clerk, walk_in(clerk, make_item(tree.community_a1, name="低保申请")))
    body = OutboundMessage.objects.get(purpose="applications.concluded").body
    assert "请评价本次服务：http://127.0.0.1:8000/r/" in body
    assert len(sms_link(application)) == 22  # short: 128 bits
    assert RatingToken.objects.get(application=application).token_hash != sms_link(application)  # hashed


def test_the_link_rates_once_without_login_and_shows_no_personal_data(clerk, tree):
    application = concluded(clerk, walk_in(clerk, make_item(tree.community_a1, name="低保申请"), name="李四"))
    token = sms_link(application)
    visitor = Client(enforce_csrf_checks=True)

    page = visitor.get(f"/r/{token}")
    body = page.content.decode()
    assert page.status_code == 200 and "低保申请" in body and "非常不满意" in body
    assert "李四" not in body and "13800138000" not in body
    csrf = visitor.cookies["csrftoken"].value
    done = visitor.post(f"/r/{token}", {"level": 5, "comment": "很快", "csrfmiddlewaretoken": csrf})
    assert "感谢您的评价" in done.content.decode()
    rating = Rating.objects.get(application=application)
    assert (rating.level, rating.comment, rating.channel, rating.recorded_by) == (5, "很快", "sms", None)

    again = visitor.post(f"/r/{token}", {"level": 1, "csrfmiddlewaretoken": csrf})
    assert "不能重复评价" in again.content.decode()
    assert Rating.objects.get(application=application).level == 5
    assert "此链接已使用" in visitor.get(f"/r/{token}").content.decode()


def test_a_post_without_the_csrf_token_is_refused(clerk, tree):
    application = concluded(clerk, walk_in(clerk, make_item(tree.community_a1)))
    response = Client(enforce_csrf_checks=True).post(f"/r/{sms_link(application)}", {"level": 5})
    assert response.status_code == 403 and not Rating.objects.exists()


def test_an_expired_link_is_refused(clerk, tree):
    application = concluded(clerk, walk_in(clerk, make_item(tree.community_a1)))
    token = sms_link(application)
    RatingToken.objects.filter(application=application).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    visitor = Client()
    assert "评价链接已过期" in visitor.get(f"/r/{token}").content.decode()
    refused = visitor.post(f"/r/{token}", {"level": 5})
    assert "评价链接已过期" in refused.content.decode() and not Rating.objects.exists()


def test_a_link_lives_thirty_days(clerk, tree):
    application = concluded(clerk, walk_in(clerk, make_item(tree.community_a1)))
    link = RatingToken.objects.get(application=application)
    assert link.expires_at - link.created_at == dt.timedelta(days=30)


def test_a_wrong_link_gives_no_hint(clerk, tree):
    application = concluded(clerk, walk_in(clerk, make_item(tree.community_a1, name="低保申请")))
    token = sms_link(application)
    visitor = Client()
    answers = [visitor.get(f"/r/{wrong}") for wrong in (token[:-1] + ("A" if token[-1] != "A" else "B"), "x")]
    for answer in answers:
        body = answer.content.decode()
        assert answer.status_code == 404 and "评价链接无效" in body and "低保申请" not in body
    refused = visitor.post(f"/r/{token[:-2]}", {"level": 5})
    assert refused.status_code == 404 and "评价链接无效" in refused.content.decode()
    assert not Rating.objects.exists()


def test_opening_links_is_rate_limited_per_address(clerk, tree):
    application = concluded(clerk, walk_in(clerk, make_item(tree.community_a1, name="低保申请")))
    visitor = Client()
    for n in range(10):
        assert visitor.get(f"/r/guess{n}", REMOTE_ADDR="10.8.8.8").status_code == 404
    limited = visitor.get(f"/r/{sms_link(application)}", REMOTE_ADDR="10.8.8.8")
    assert limited.status_code == 429 and "过于频繁" in limited.content.decode()
    assert "低保申请" not in limited.content.decode() and int(limited["Retry-After"]) > 0


def test_a_bad_rating_by_the_link_opens_the_rectification(clerk, tree):
    application = concluded(clerk, walk_in(clerk, make_item(tree.community_a1)))
    Client().post(f"/r/{sms_link(application)}", {"level": RatingLevel.VERY_UNSATISFIED, "comment": "态度差"})
    rectification = Rectification.objects.get()
    assert rectification.rating.application == application and rectification.responsible == clerk


def test_the_clerks_page_shows_the_same_link_as_a_qr_code(clerk, tree):
    application = concluded(clerk, walk_in(clerk, make_item(tree.community_a1)))
    page = client_for(clerk).get(f"/hall/staff/applications/{application.pk}/").content.decode()
    qr = page.split('data-testid="rating-qr"')[1].split("</section>")[0]
    assert "<svg" in qr and "扫码评价" in qr
    # The QR code holds the SMS's link (marked ?q to count scans): a scan rates as 扫码评价.
    token = services.rating_link_for_window(application)
    assert token == sms_link(application)
    Client().post(f"/r/{token}?q", {"level": 4, "via": "qr"})
    assert Rating.objects.get().channel == RatingChannel.QRCODE
    rated = client_for(clerk).get(f"/hall/staff/applications/{application.pk}/").content.decode()
    assert 'data-testid="rating-qr"' not in rated


class TestClerksCannotRateTheirOwnWork:
    def test_the_window_form_is_refused_to_who_handled_it(self, clerk, tree):
        application = concluded(clerk, walk_in(clerk, make_item(tree.community_a1)))
        client = client_for(clerk)
        assert (
            "录入纸质评价表" not in client.get(f"/hall/staff/applications/{application.pk}/").content.decode()
        )
        response = client.post(
            f"/hall/staff/applications/{application.pk}/rate/", {"level": 5, "paper_number": "PJ-1"}
        )
        assert "您经办了该办件" in response.content.decode() and not Rating.objects.exists()

    def test_nor_through_the_link_in_their_own_browser(self, clerk, tree):
        application = concluded(clerk, walk_in(clerk, make_item(tree.community_a1)))
        response = client_for(clerk).post(f"/r/{sms_link(application)}", {"level": 5})
        assert "您经办了该办件" in response.content.decode() and not Rating.objects.exists()

    def test_a_colleague_transcribes_a_paper_form_only_with_its_number(self, clerk, tree):
        application = concluded(clerk, walk_in(clerk, make_item(tree.community_a1)))
        colleague = client_for(make_user(tree.community_a1, *CLERK_PERMISSIONS))
        assert (
            "录入纸质评价表" in colleague.get(f"/hall/staff/applications/{application.pk}/").content.decode()
        )
        url = f"/hall/staff/applications/{application.pk}/rate/"
        without_number = colleague.post(url, {"level": 5}).content.decode()
        assert 'id="id_paper_number"' in without_number and "is-invalid" in without_number
        assert not Rating.objects.exists()
        colleague.post(url, {"level": 5, "paper_number": "PJ-0007"})
        rating = Rating.objects.get()
        assert (rating.channel, rating.paper_number) == ("paper", "PJ-0007")


class TestPad:
    @pytest.fixture
    def windows(self, tree, clerk):
        one = ServiceWindow.objects.create(org=tree.community_a1, number="1号窗口", name="综合受理")
        two = ServiceWindow.objects.create(org=tree.community_a1, number="2号窗口", name="社会救助")
        one.staff.add(clerk)
        other = make_user(tree.community_a1, *CLERK_PERMISSIONS)
        two.staff.add(other)
        return one, two, other

    @pytest.fixture
    def pad(self, tree, windows):
        """The 评价器 of window one: a paired device, nobody signed in."""
        admin = make_user(tree.community_a1, "applications.change_servicewindow")
        return paired_pad(admin, windows[0])

    def test_the_pad_shows_the_latest_application_concluded_at_its_window_only(
        self, clerk, tree, windows, pad
    ):
        one, two, other = windows
        earlier = concluded(clerk, walk_in(clerk, make_item(tree.community_a1, name="老年证办理")))
        latest = concluded(clerk, walk_in(clerk, make_item(tree.community_a1, name="低保申请")))
        elsewhere = concluded(other, walk_in(other, make_item(tree.community_a1, name="残疾人补贴")))
        assert (earlier.window, latest.window, elsewhere.window) == (one, one, two)

        page = pad.get(f"/hall/pad/{one.pk}/").content.decode()
        current = page.split('data-testid="pad-current"')[1]
        assert "低保申请" in current and "老年证办理" not in current and "残疾人补贴" not in current
        assert "非常满意" in current and "非常不满意" in current and 'hx-trigger="every 5s"' in current
        # No staff controls on the counter-facing page: no menu, no sign-out, no applicant's data.
        assert "退出" not in page and "sidebar" not in page and "李四" not in page

    def test_a_press_on_the_pad_is_the_applicants_rating(self, clerk, tree, windows, pad):
        one, _two, _other = windows
        application = concluded(clerk, walk_in(clerk, make_item(tree.community_a1, name="低保申请")))
        token = services.rating_link_for_window(application)
        thanked = pad.post(f"/hall/pad/{one.pk}/", {"token": token, "level": 2})
        assert "感谢您的评价" in thanked.content.decode()
        rating = Rating.objects.get()
        assert (rating.channel, rating.level, rating.recorded_by) == ("pad", 2, None)
        assert Rectification.objects.filter(rating=rating).exists()
        # Rated: the buttons are gone until the next application is concluded at this window.
        after = pad.get(f"/hall/pad/{one.pk}/").content.decode()
        assert "请您对本次服务进行评价" not in after and token not in after

    def test_the_poll_answers_nothing_new_until_another_conclusion(self, clerk, tree, windows, pad):
        one, _two, _other = windows
        concluded(clerk, walk_in(clerk, make_item(tree.community_a1, name="低保申请")))
        part = pad.get(f"/hall/pad/{one.pk}/?part=1").content.decode()
        key = re.search(r"shown=([0-9]+-[01])", part).group(1)
        assert pad.get(f"/hall/pad/{one.pk}/?part=1&shown={key}").status_code == 204
        concluded(clerk, walk_in(clerk, make_item(tree.community_a1, name="老年证办理")))
        fresh = pad.get(f"/hall/pad/{one.pk}/?part=1&shown={key}")
        assert fresh.status_code == 200 and "老年证办理" in fresh.content.decode()


def test_statistics_show_the_channel(clerk, tree):
    first = concluded(clerk, walk_in(clerk, make_item(tree.community_a1)))
    second = concluded(clerk, walk_in(clerk, make_item(tree.community_a1)))
    Client().post(f"/r/{sms_link(first)}", {"level": 5})
    Client().post(f"/r/{sms_link(second)}?q", {"level": 3, "via": "qr"})
    page = client_for(clerk).get("/hall/staff/ratings/").content.decode()
    by_channel = page.split('data-testid="by-channel"')[1].split("</table>")[0]
    assert "短信评价链接" in by_channel and "扫码评价" in by_channel


def test_the_rating_page_keeps_its_token_out_of_referrers_but_not_its_origin(clerk, tree):
    """With "no-referrer" Chromium would send the rating form with `Origin: null`, which the CSRF check
    refuses (tests/browser/test_hall_devices.py rates through the link in the browser)."""
    application = concluded(clerk, walk_in(clerk, make_item(tree.community_a1)))
    page = Client().get(f"/r/{services.rating_link_for_window(application)}")
    assert page.status_code == 200 and page["Referrer-Policy"] == "strict-origin"
