"""特殊人群到期复核 in the real browser: the community worker of 柳浪社区 (`shequ`) opens it from the menu, follows a
低保 tag due for its annual review to the person page, where its 续期 form is already open, renews it, and the
tag leaves the list. Both pages pass axe."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from jiedao.registry import services
from jiedao.registry.tests.factories import person
from tests.browser.test_staff_accessibility import audit
from tests.browser.test_staff_accessibility import district as district  # fixtures
from tests.browser.test_staff_accessibility import staff_page as staff_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_community_worker_renews_a_tag_due_for_review(staff_page, district):
    worker = district["users"]["shequ"]
    today = timezone.localdate()
    resident = person(worker, worker.org, name="孙低保")
    services.tag_add(
        actor=worker,
        person=resident,
        group="dibao",
        valid_from=today - timedelta(days=355),
        valid_until=today + timedelta(days=10),
        evidence="明民低〔2025〕900号",
    )
    page = staff_page(worker)
    page.goto("/workbench/")
    page.get_by_role("link", name="特殊人群到期复核").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("特殊人群到期复核")
    problems: list[str] = []
    audit(page, "特殊人群到期复核", problems)
    row = page.get_by_test_id("results-table").get_by_role("row").filter(has_text="孙低保")
    expect(row).to_contain_text("10 天")

    row.get_by_role("link", name="孙低保").click()
    page.wait_for_url("**/registry/persons/*/?renew=*")
    renewal = page.get_by_test_id("tag-renew")
    expect(renewal).to_have_attribute("open", "")
    audit(page, "人员页面（续期）", problems)
    assert not problems, problems
    renewal.get_by_label("续期至").fill((today + timedelta(days=375)).isoformat())
    renewal.get_by_label("依据").fill("明民低〔2026〕031号")
    renewal.get_by_role("button", name="续期").click()
    expect(page.get_by_role("alert").or_(page.get_by_role("status")).first).to_contain_text(
        "已续期特殊人群标记"
    )

    page.goto("/registry/tags/due-for-review/")
    expect(page.get_by_test_id("results-table")).not_to_contain_text("孙低保")
