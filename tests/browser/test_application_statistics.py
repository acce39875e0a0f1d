"""办件统计 in a browser: a sub-district leader opens it from the 政务服务 menu, picks 上月 and reads the
tables with the month's applications and the chart of 收件量 and 办结量 drawn; the page passes axe's WCAG 2.1
A/AA check."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from jiedao.applications import services
from jiedao.applications.choices import Outcome
from jiedao.applications.tests.factories import CLERK_PERMISSIONS, local, make_item, walk_in
from jiedao.core.testing import make_user
from tests.browser.test_staff_accessibility import AXE, AXE_URL, RUN_AXE, WCAG_AA

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_subdistrict_leader_reads_last_months_statistics(open_page, tree):
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci` (make setup installs the development dependencies)")
    first = timezone.localdate().replace(day=1)
    last_month = (first - dt.timedelta(days=1)).replace(day=10)
    at = local(last_month.year, last_month.month, last_month.day)
    clerk = make_user(tree.community_a1, *CLERK_PERMISSIONS)
    item = make_item(tree.community_a1, name="居住证明开具")
    for _ in range(2):
        application = walk_in(clerk, item, at=at)
        services.application_accept(actor=clerk, application=application, at=at)
    services.application_conclude(
        actor=clerk, application=application, outcome=Outcome.APPROVED, at=at + dt.timedelta(hours=2)
    )
    leader = make_user(tree.subdistrict_a, "applications.view_application")

    page = open_page(user=leader)
    page.route(f"**{AXE_URL}", lambda route: route.fulfill(path=AXE, content_type="text/javascript"))
    page.goto("/workbench/")
    page.get_by_role("navigation").get_by_role("link", name="办件统计").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("办件统计 · 本月")
    page.get_by_test_id("stats-quick").get_by_role("link", name="上月").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("办件统计 · 上月")
    expect(page.get_by_test_id("stats-quick").get_by_role("link", name="上月")).to_have_attribute(
        "aria-current", "page"
    )
    row = page.get_by_test_id("stats-item").get_by_role("row", name="居住证明开具")
    expect(row.get_by_role("cell").nth(0)).to_have_text("2")  # 收件量
    expect(row.get_by_role("cell").nth(4)).to_have_text("1")  # 办结量
    expect(page.get_by_test_id("stats-org").get_by_role("row", name="甲一社区")).to_be_visible()
    chart = page.get_by_test_id("stats-chart")
    expect(chart).to_be_visible()  # shown once ECharts drew into it
    expect(chart.locator("canvas")).to_have_count(1)
    assert page.problems == []

    page.add_script_tag(url=AXE_URL)
    assert page.evaluate(RUN_AXE, WCAG_AA) == []
