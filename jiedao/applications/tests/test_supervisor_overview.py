"""The supervisor's overview: home panels for the 差评整改 in scope (open, past their 整改期限) and the 办件
past their time limit; the 差评整改 list filtered by state, each row linking to its application."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from jiedao.applications import services
from jiedao.applications.choices import Outcome, RatingLevel
from jiedao.applications.models import Rectification
from jiedao.applications.tests.factories import (
    CLERK_PERMISSIONS,
    local,
    make_item,
    rate_by_link,
    walk_in,
)
from jiedao.core.testing import client_for, make_user
from jiedao.timelimits.services import sweep_clocks

pytestmark = pytest.mark.django_db

SUPERVISOR = (
    "applications.view_application",
    "applications.view_rating",
    "applications.view_rectification",
    "applications.change_rectification",
)


@pytest.fixture
def scene(tree):
    clerk = make_user(tree.community_a1, *CLERK_PERMISSIONS)
    item = make_item(tree.community_a1, name="居住证明", promised_limit_days=3)
    rated = []
    for comment in ("等了两个小时", "态度不好"):
        application = walk_in(clerk, item)
        services.application_accept(actor=clerk, application=application)
        services.application_conclude(actor=clerk, application=application, outcome=Outcome.APPROVED)
        rate_by_link(application, RatingLevel.UNSATISFIED, comment)
        rated.append(application)
    late = Rectification.objects.get(rating__application=rated[0])
    late.due_at = timezone.now() - dt.timedelta(days=2)
    late.save(update_fields=["due_at"])
    # an application accepted a month ago with a 3-working-day limit: past its time limit
    overdue = walk_in(clerk, item, at=local(2026, 10, 12))
    services.application_accept(actor=clerk, application=overdue, at=local(2026, 10, 12))
    sweep_clocks()
    # another sub-district's rectification is not in the supervisor's scope
    other = make_user(tree.community_b1, *CLERK_PERMISSIONS)
    elsewhere = walk_in(other, make_item(tree.community_b1))
    services.application_accept(actor=other, application=elsewhere)
    services.application_conclude(actor=other, application=elsewhere, outcome=Outcome.APPROVED)
    rate_by_link(elsewhere, RatingLevel.VERY_UNSATISFIED)
    supervisor = make_user(tree.subdistrict_a, *SUPERVISOR)
    return {"supervisor": supervisor, "rated": rated, "late": late, "overdue": overdue}


def test_the_supervisors_home_shows_open_and_overdue_rectifications_and_overdue_applications(scene):
    html = client_for(scene["supervisor"]).get("/workbench/").content.decode()
    assert "差评整改（管辖范围）" in html
    assert "整改中 2 件，其中已超过整改期限 1 件" in html
    assert "/hall/staff/rectifications/?status=overdue" in html
    assert "超期未办结的办件" in html and "/hall/staff/applications/?clock=red" in html
    panel = html.split("超期未办结的办件", 1)[1].split("查看超期办件", 1)[0]
    assert ">1<" in panel.replace(" ", "").replace("\n", "")


def test_the_rectification_list_links_to_the_application_and_filters_the_overdue(scene):
    client = client_for(scene["supervisor"])
    html = client.get("/hall/staff/rectifications/").content.decode()
    for application in scene["rated"]:
        assert f'href="/hall/staff/applications/{application.pk}/"' in html
    overdue = client.get("/hall/staff/rectifications/", {"status": "overdue"})
    rows = overdue.context["rectifications"]
    assert [r.pk for r in rows] == [scene["late"].pk]
    assert "已超过整改期限" in overdue.content.decode().split('data-testid="rectification-table"')[1]
    assert len(client.get("/hall/staff/rectifications/", {"status": "open"}).context["rectifications"]) == 2
