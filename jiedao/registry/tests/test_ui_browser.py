"""The person pages in a real browser: htmx search without a page load, the audited reveal, under the CSP."""

import pytest
from playwright.sync_api import expect

from jiedao.audit.models import AuditEvent
from jiedao.core.testing import sign_in
from jiedao.registry.tests.factories import person, staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(open_page):
    return open_page()


# Not caused by these pages: htmx inserts its indicator <style> unless base.html sets
# <meta name="htmx-config" content='{"includeIndicatorStyles": false}'>, and Chromium asks for /favicon.ico.
HTMX_INDICATOR_STYLE_HASH = "sha256-faU7yAF8NxuMTNEwVmBz+VcYeIoBQ2EMHW3WaVxCvnk="


def known_problem(text: str) -> bool:
    return HTMX_INDICATOR_STYLE_HASH in text or "status of 404" in text


def test_search_updates_the_table_in_place_and_reveal_swaps_in_the_full_number(page, live_server, tree):
    officer = staff(tree.community_a1, "registry.view_full_person")
    zhang = person(officer, tree.community_a1, name="张三丰", phone="13811112222")
    person(officer, tree.community_a1, name="李四")
    sign_in(page, officer, live_server)
    page.goto("/registry/persons/")
    assert page.get_by_test_id("total").inner_text() == "共 2 条"
    page.evaluate("window.loadedOnce = true")  # survives only if the page is not reloaded
    searches = []
    page.on("request", lambda request: searches.append(request.url) if "q=zsf" in request.url else None)
    page.get_by_label("姓名 / 证件号码 / 电话").fill("zsf")
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_test_id("total")).to_have_text("共 1 条")
    # Leaving the field (change) and 查询 (submit) together send one search: a second one's late answer would
    # push history and cancel the click on a record just below.
    page.wait_for_load_state("networkidle")
    assert len(searches) == 1
    assert page.evaluate("window.loadedOnce") is True and "q=zsf" in page.url
    assert "李四" not in page.get_by_test_id("results-table").inner_text()
    page.get_by_role("link", name="张三丰").click()
    page.wait_for_url(f"**/registry/persons/{zhang.pk}/")
    assert page.get_by_test_id("id-number").inner_text() == zhang.id_number_masked
    page.get_by_test_id("reveal").click()
    expect(page.get_by_test_id("id-number")).to_have_text(zhang.id_number)
    assert page.get_by_test_id("phone").inner_text() == "13811112222"
    assert AuditEvent.objects.filter(event_name="registry.person.revealed").count() == 1
    assert [problem for problem in page.problems if not known_problem(problem)] == []
