"""When the administrator enters next year's holiday notice, an application's 办理期限 — on the staff page,
the resident's page and the public tracking answer — moves with its time-limit clock (it kept the
provisional date while the clock moved)."""

import pytest
from rest_framework.test import APIClient

from jiedao.applications import services
from jiedao.applications.tests.factories import CLERK_PERMISSIONS, local, make_item, walk_in
from jiedao.core.testing import api_client_for, client_for, make_user
from jiedao.sms.models import OutboundMessage
from jiedao.timelimits.services import clock_for
from jiedao.timelimits.tests.helpers import end_of
from jiedao.timelimits.tests.test_recompute import admin, enter_notice, recompute  # noqa: F401

pytestmark = pytest.mark.django_db


def test_the_applications_due_date_follows_the_entered_notice(tree, admin):  # noqa: F811
    clerk = make_user(tree.community_a1, *CLERK_PERMISSIONS)
    item = make_item(tree.community_a1, promised_limit_days=48, statutory_limit_days=60)
    application = walk_in(clerk, item, phone="13800138000", at=local(2026, 12, 7))
    services.application_accept(actor=clerk, application=application, at=local(2026, 12, 7))
    application.refresh_from_db()
    # 2027 not entered: weekends and 元旦 only, so the 48th working day is Friday 12 February.
    assert application.due_at == end_of(2027, 2, 12) and clock_for(application).due_provisional
    # …which staff, integrators and the applicant are told
    web, api = client_for(clerk), api_client_for(clerk)
    assert (
        'data-testid="due-provisional"'
        in web.get(f"/hall/staff/applications/{application.pk}/").content.decode()
    )
    assert 'data-testid="due-provisional"' in web.get("/hall/staff/applications/").content.decode()
    assert api.get(f"/api/v1/applications/{application.pk}/").json()["due_provisional"] is True
    accepted_sms = OutboundMessage.objects.get(purpose="applications.accepted").body
    assert "承诺于 2027年2月12日 前办结（如遇国家节假日安排调整，相应顺延）" in accepted_sms

    enter_notice(admin)
    recompute(now=local(2026, 12, 8))

    application.refresh_from_db()
    assert application.due_at == clock_for(application).due_at == end_of(2027, 2, 18)
    answer = APIClient().post(
        "/api/v1/public/track/", {"code": application.tracking_code, "phone": "13800138000"}, format="json"
    )
    assert answer.json()["due_at"].startswith("2027-02-18")
    assert (
        'data-testid="due-provisional"'
        not in web.get(f"/hall/staff/applications/{application.pk}/").content.decode()
    )
    assert api.get(f"/api/v1/applications/{application.pk}/").json()["due_provisional"] is False
