"""办件统计 at 1280 px (a leader's laptop): every table fits its box, no column behind a sideways scroll;
the compact headings keep their full names for screen readers."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from jiedao.applications import services
from jiedao.applications.choices import Outcome
from jiedao.applications.models import ServiceWindow
from jiedao.applications.tests.factories import CLERK_PERMISSIONS, local, make_item, walk_in
from jiedao.core.testing import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OVERFLOW = """() => [...document.querySelectorAll('[data-testid^="stats-"] ')]
  .filter((el) => el.tagName === 'TABLE')
  .map((table) => {
    const box = table.closest('.table-responsive') || table.parentElement;
    return {table: table.dataset.testid, scroll: box.scrollWidth, client: box.clientWidth};
  })"""


def test_the_statistics_tables_fit_a_1280_pixel_screen(open_page, tree):
    today = timezone.localdate()
    at = local(today.year, today.month, 1) + dt.timedelta(hours=1)
    clerk = make_user(tree.community_a1, *CLERK_PERMISSIONS)
    window = ServiceWindow.objects.create(
        org=tree.community_a1, number="1号窗口", name="综合受理（社会事务）"
    )
    window.staff.add(clerk)
    item = make_item(tree.community_a1, name="最低生活保障对象认定（含低保边缘家庭认定）")
    for _ in range(3):
        application = walk_in(clerk, item, at=at)
        services.application_accept(actor=clerk, application=application, at=at)
    services.application_conclude(
        actor=clerk, application=application, outcome=Outcome.APPROVED, at=at + dt.timedelta(hours=2)
    )
    leader = make_user(tree.subdistrict_a, "applications.view_application")

    page = open_page(width=1280, user=leader)
    page.goto("/hall/staff/statistics/")
    expect(page.get_by_test_id("stats-item").get_by_role("row", name=item.name)).to_be_visible()

    boxes = page.evaluate(OVERFLOW)
    assert len(boxes) == 4
    assert [box for box in boxes if box["scroll"] > box["client"]] == []
    # the last column, 满意度, is on screen without scrolling
    last = page.get_by_test_id("stats-item").get_by_role("columnheader").last
    assert last.bounding_box()["x"] + last.bounding_box()["width"] <= 1280
    expect(
        page.get_by_test_id("stats-item").get_by_role("columnheader", name="其中正常（绿）")
    ).to_have_count(1)
    assert page.problems == []
