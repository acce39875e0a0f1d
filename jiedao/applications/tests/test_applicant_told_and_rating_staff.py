"""The applicant is told of extensions, suspension and resumption by SMS; the public
history shows no staff names; ratings name the staff member the applicant dealt with."""

from __future__ import annotations

import pytest

from jiedao.applications import services
from jiedao.applications.tests.factories import CLERK_PERMISSIONS, local, make_item, rate_by_link, walk_in
from jiedao.core.testing import make_user
from jiedao.sms.models import OutboundMessage

pytestmark = pytest.mark.django_db

LEADER_PERMISSIONS = ("applications.view_application", "applications.approve_extension")


def _named(user, name):
    user.full_name = name
    user.save(update_fields=["full_name"])
    return user


@pytest.fixture
def clerk(tree):
    return _named(
        make_user(tree.community_a1, *CLERK_PERMISSIONS, "applications.extend_application"), "王晓梅"
    )


@pytest.fixture
def leader(tree):
    return _named(make_user(tree.subdistrict_a, *LEADER_PERMISSIONS), "陈海燕")


@pytest.fixture
def accepted(clerk, tree):
    application = walk_in(clerk, make_item(tree.community_a1), at=local(2026, 3, 2, 9))
    return services.application_accept(actor=clerk, application=application, at=local(2026, 3, 2, 10))


class TestApplicantIsTold:
    def test_an_approved_extension_is_texted_with_the_new_due_date_and_reason(self, clerk, leader, accepted):
        services.application_extension_request(
            actor=clerk, application=accepted, days=5, reason="需要现场勘验", at=local(2026, 3, 4)
        )
        services.application_extension_decide(
            actor=leader, application=accepted, approve=True, note="同意延长。", at=local(2026, 3, 5)
        )
        sms = OutboundMessage.objects.get(purpose="applications.extended")
        assert (
            accepted.tracking_code in sms.body and "2026年3月23日" in sms.body and "需要现场勘验" in sms.body
        )
        assert "陈海燕" not in sms.body and "王晓梅" not in sms.body

    def test_the_public_history_shows_no_staff_names_nor_the_approval_opinion(self, clerk, leader, accepted):
        services.application_extension_request(
            actor=clerk, application=accepted, days=5, reason="需要现场勘验", at=local(2026, 3, 4)
        )
        services.application_extension_decide(
            actor=leader, application=accepted, approve=True, note="同意延长。", at=local(2026, 3, 5)
        )
        [extended] = [h for h in services.public_history(accepted) if h["action"] == "延长办理时限"]
        assert extended["note"] == "延长 5 个工作日，办理期限延至 2026-03-23。延长理由：需要现场勘验"
        tracked = services.application_track(code=accepted.tracking_code, phone="13800138000", ip="10.9.9.9")
        [row] = [h for h in tracked.history if h["action"] == "延长办理时限"]
        assert row["note"] == extended["note"]
        # The staff history keeps who asked and approved.
        staff_note = accepted.events.get(action="extended").note
        assert "王晓梅" in staff_note and "陈海燕" in staff_note and "同意延长。" in staff_note

    def test_an_extension_recorded_earlier_is_shown_without_names(self, accepted):
        accepted.events.create(
            action="extended",
            note="延长 5 个工作日：需要现场勘验（申请：王晓梅；批准：陈海燕）\n审批意见：同意延长。",
            at=local(2026, 3, 5),
        )
        [extended] = [h for h in services.public_history(accepted) if h["action"] == "延长办理时限"]
        assert extended["note"] == "延长 5 个工作日：需要现场勘验"

    def test_suspension_and_resumption_are_texted(self, clerk, accepted):
        services.application_suspend(
            actor=clerk, application=accepted, reason="等待司法鉴定结论", at=local(2026, 3, 3)
        )
        suspended = OutboundMessage.objects.get(purpose="applications.suspended")
        assert "中止办理" in suspended.body and "等待司法鉴定结论" in suspended.body
        services.application_resume(actor=clerk, application=accepted, at=local(2026, 3, 6))
        resumed = OutboundMessage.objects.get(purpose="applications.resumed")
        accepted.refresh_from_db()
        due_day = accepted.due_at.astimezone(local(2026, 3, 6).tzinfo)
        due = f"{due_day.year}年{due_day.month}月{due_day.day}日"
        assert "恢复办理" in resumed.body and due in resumed.body


class TestRatingIsAboutTheWindow:
    def test_a_rating_names_who_registered_it_not_the_leader_who_concluded(self, clerk, tree):
        concluder = make_user(
            tree.subdistrict_a, "applications.view_application", "applications.conclude_application"
        )
        application = walk_in(clerk, make_item(tree.community_a1), at=local(2026, 3, 2, 9))
        services.application_accept(actor=clerk, application=application, at=local(2026, 3, 2, 10))
        services.application_conclude(
            actor=concluder, application=application, outcome="approved", text="准予。"
        )
        rating = rate_by_link(application, 2)
        assert rating.staff == clerk
        assert rating.rectification.responsible == clerk

    def test_online_the_staff_member_who_accepted_it(self, clerk, tree):
        from jiedao.applications.tests.factories import make_resident, submit

        resident = make_resident()
        application = submit(resident, make_item(tree.community_a1))
        services.application_accept(actor=clerk, application=application)
        concluder = make_user(
            tree.subdistrict_a, "applications.view_application", "applications.conclude_application"
        )
        services.application_conclude(actor=concluder, application=application, outcome="approved")
        rating = services.rating_submit(application=application, level=1, resident=resident)
        assert rating.staff == clerk
