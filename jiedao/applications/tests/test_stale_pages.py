"""A clerk decides on a page a colleague has acted on meanwhile (accepted what this clerk now asks to
correct): the decision is refused with the state it is in now, instead of being applied on top — the
applicant would get "已受理" and "需补正" texts one after the other."""

import pytest

from jiedao.applications import services
from jiedao.applications.choices import ApplicationStatus
from jiedao.applications.models import ApplicationEvent
from jiedao.applications.tests.factories import CLERK_PERMISSIONS, make_item, walk_in
from jiedao.core.exceptions import Conflict
from jiedao.core.testing import api_client_for, client_for, make_user
from jiedao.sms.models import OutboundMessage

pytestmark = pytest.mark.django_db


def test_a_correction_asked_on_a_page_showing_it_submitted_is_refused_once_a_colleague_accepted(tree):
    one = make_user(tree.community_a1, *CLERK_PERMISSIONS)
    two = make_user(tree.community_a1, *CLERK_PERMISSIONS)
    application = walk_in(one, make_item(tree.community_a1), phone="13800138000")
    page = client_for(two).get(f"/hall/staff/applications/{application.pk}/").content.decode()
    assert 'name="seen_status" value="submitted"' in page

    services.application_accept(actor=one, application=application)  # meanwhile, at the next window
    response = client_for(two).post(
        f"/hall/staff/applications/{application.pk}/correct/",
        {"items": "身份证复印件不清晰", "seen_status": "submitted"},
    )

    assert response.status_code == 200
    assert "该办件已由他人处理，当前状态为“已受理，办理中”，请刷新页面后再操作。" in response.content.decode()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.ACCEPTED
    assert not ApplicationEvent.objects.filter(
        application=application, action="correction_requested"
    ).exists()
    assert not OutboundMessage.objects.filter(body__contains="需补正").exists()
    # Asked again on the page as it is now, the correction is an ordinary one (clock paused).
    response = client_for(two).post(
        f"/hall/staff/applications/{application.pk}/correct/",
        {"items": "身份证复印件不清晰", "seen_status": "accepted"},
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == ApplicationStatus.CORRECTION_REQUESTED


def test_a_decision_on_a_copy_read_before_a_colleague_acted_is_a_conflict(tree):
    clerk = make_user(tree.community_a1, *CLERK_PERMISSIONS)
    application = walk_in(clerk, make_item(tree.community_a1))
    stale = type(application).objects.get(pk=application.pk)
    services.application_accept(actor=clerk, application=application)

    with pytest.raises(Conflict):
        services.application_request_correction(
            actor=clerk, application=stale, items=["缺少户口簿"], expected_status=stale.status
        )
    response = api_client_for(clerk).post(
        f"/api/v1/applications/{application.pk}/reject/", {"reason": "材料不全"}, format="json"
    )
    assert response.status_code == 400 and response.json()["code"] == "bad_status"
