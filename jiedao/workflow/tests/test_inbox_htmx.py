"""The inbox: tabs, filters and pagination swap only #inbox-body with htmx and push the address; the filter
form lives outside the 30-second refresh; without scripts every link and the form still work."""

import pytest
from playwright.sync_api import expect

from jiedao.core.testing import client_for
from jiedao.workflow.tests.processes import start_leave


@pytest.mark.django_db
def test_plain_get_renders_the_whole_page_with_working_links(leave, people):
    start_leave(people)
    client = client_for(people.head)
    page = client.get("/workflow/inbox/?box=done&q=请假&key=leave").content.decode()
    assert "<html" in page and 'id="inbox-body"' in page
    # The filter form is outside the refreshed part and posts a plain GET with the current box.
    body = page[page.index('<div id="inbox-body"') :]
    assert 'id="inbox-filter"' in page and 'id="inbox-filter"' not in body
    assert 'method="get"' in page and 'name="box" id="inbox-box" value="done"' in page
    assert 'value="请假"' in page
    # The tabs are links that keep the applied filters.
    assert 'href="?box=todo&amp;q=%E8%AF%B7%E5%81%87&amp;key=leave"' in page
    assert 'hx-get="/workflow/inbox/?box=todo"' in page and 'hx-push-url="true"' in page


@pytest.mark.django_db
def test_htmx_requests_get_the_body_with_tabs_and_box_out_of_band(leave, people):
    start_leave(people)
    client = client_for(people.head)
    response = client.get("/workflow/inbox/?box=started", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="inbox-body")
    partial = response.content.decode()
    assert partial.lstrip().startswith('<div id="inbox-body"') and "<html" not in partial
    assert 'id="inbox-tabs"' in partial and 'hx-swap-oob="true"' in partial
    assert 'id="inbox-box" value="started" hx-swap-oob="true"' in partial
    assert 'id="inbox-filter"' not in partial
    assert "HX-Request" in response["Vary"] and "HX-Target" in response["Vary"]
    # htmx restoring a page from history, or a boosted request for another target, gets the whole page.
    restore = client.get(
        "/workflow/inbox/?box=started",
        HTTP_HX_REQUEST="true",
        HTTP_HX_HISTORY_RESTORE_REQUEST="true",
    ).content.decode()
    assert "<html" in restore
    other = client.get("/workflow/inbox/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="main").content.decode()
    assert "<html" in other


# --- in the browser -------------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_tabs_and_filter_swap_in_place_and_keep_what_is_typed(open_page, leave, people):
    word = start_leave(people).title[:2]
    page = open_page(user=people.applicant, console=False)
    page.goto("/workflow/inbox/")
    page.evaluate("window.loadedOnce = true")  # survives only if the page is not reloaded
    query = page.get_by_label("标题关键字")
    query.fill(word)
    page.get_by_test_id("tab-started").click()
    expect(page.get_by_test_id("tab-started")).to_have_attribute("aria-current", "page")
    expect(page.get_by_test_id("inbox-body")).to_have_attribute("data-box", "started")
    expect(page.get_by_test_id("inbox-table")).to_contain_text("部门负责人审批")
    assert page.evaluate("window.loadedOnce") is True
    assert "box=started" in page.url and "q=" in page.url
    expect(query).to_have_value(word)
    expect(page.locator("#inbox-box")).to_have_value("started")

    # Text being typed survives the periodic refresh (triggered here instead of waiting 30 seconds).
    query.fill("没有这个标题")
    with page.expect_response(lambda r: "/workflow/inbox/" in r.url):
        page.evaluate(
            "htmx.ajax('GET', document.getElementById('inbox-body').getAttribute('hx-get'),"
            " {source: '#inbox-body', target: '#inbox-body', swap: 'outerHTML'})"
        )
    expect(page.get_by_test_id("inbox-table")).to_contain_text("部门负责人审批")
    expect(query).to_have_value("没有这个标题")

    # The filter form swaps the body too, in the current tab.
    page.get_by_role("button", name="筛选").click()
    expect(page.get_by_test_id("inbox-table")).to_contain_text("没有记录。")
    assert page.evaluate("window.loadedOnce") is True and "box=started" in page.url
    # Back to the previous address restores the whole page.
    page.go_back()
    expect(page.get_by_test_id("inbox-table")).to_contain_text("部门负责人审批")
    expect(page.get_by_test_id("tab-started")).to_have_attribute("aria-current", "page")
    assert not page.problems
    page.context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_without_javascript_tabs_and_filter_are_plain_pages(open_page, leave, people):
    word = start_leave(people).title[:2]
    page = open_page(user=people.applicant, javascript=False, console=False)
    page.goto("/workflow/inbox/")
    page.get_by_label("标题关键字").fill(word)
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url("**/workflow/inbox/?box=todo&q=*")
    page.get_by_test_id("tab-started").click()
    page.wait_for_url("**/workflow/inbox/?box=started&q=*")
    expect(page.get_by_test_id("inbox-table")).to_contain_text("部门负责人审批")
    expect(page.get_by_label("标题关键字")).to_have_value(word)
    expect(page.locator("#inbox-box")).to_have_value("started")
    page.context.close()
