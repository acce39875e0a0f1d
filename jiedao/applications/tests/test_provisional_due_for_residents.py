"""Residents and the public are told when an application's due date is provisional: counted on weekends
only because the year's holiday notice is not entered yet, so it may move (2027 marked provisional)."""

import pytest
from rest_framework.test import APIClient

from jiedao.applications import services
from jiedao.applications.tests.factories import (
    CLERK_PERMISSIONS,
    local,
    make_item,
    make_resident,
    resident_client,
    submit,
)
from jiedao.core.testing import make_user
from jiedao.timelimits.tests.test_recompute import admin, enter_notice, recompute  # noqa: F401

pytestmark = pytest.mark.django_db
NOTE = "暂按周末计算，如遇国家法定节假日安排将相应顺延"


def test_the_resident_and_the_tracking_page_mark_a_provisional_due_date(
    tree,
    admin,  # noqa: F811
    django_assert_num_queries,
):
    clerk = make_user(tree.community_a1, *CLERK_PERMISSIONS)
    item = make_item(tree.community_a1, promised_limit_days=48, statutory_limit_days=60)
    resident = make_resident(phone="13957100001")
    application = submit(resident, item, at=local(2026, 12, 7, 9))
    services.application_accept(actor=clerk, application=application, at=local(2026, 12, 7))
    application.refresh_from_db()
    web = resident_client(resident)
    home = web.get("/hall/me/").content.decode()
    assert "2027-02-12" in home and 'data-testid="due-provisional"' in home and NOTE in home
    page = web.get(f"/hall/me/applications/{application.pk}/").content.decode()
    assert 'data-testid="due-provisional"' in page and NOTE in page
    track = web.post("/hall/track/", {"code": application.tracking_code, "phone": "13957100001"})
    assert NOTE in track.content.decode()
    # The public look-up says so too, still in one query.
    with django_assert_num_queries(1):
        result = services.application_track(code=application.tracking_code, phone="13957100001", ip=None)
    assert result.due_provisional is True
    answer = (
        APIClient()
        .post(
            "/api/v1/public/track/",
            {"code": application.tracking_code, "phone": "13957100001"},
            format="json",
        )
        .json()
    )
    assert answer["due_provisional"] is True and answer["due_at"].startswith("2027-02-12")

    enter_notice(admin)
    recompute(now=local(2026, 12, 8))
    assert NOTE not in web.get("/hall/me/").content.decode()
    assert NOTE not in web.get(f"/hall/me/applications/{application.pk}/").content.decode()
    answer = (
        APIClient()
        .post(
            "/api/v1/public/track/",
            {"code": application.tracking_code, "phone": "13957100001"},
            format="json",
        )
        .json()
    )
    assert answer["due_provisional"] is False and answer["due_at"].startswith("2027-02-18")
