"""The inbox: each tab has its own heading, the tab counts follow the filter, and the
sidebar's 待办 count is refreshed with the list."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from playwright.sync_api import expect

from jiedao.core.testing import client_for
from jiedao.workflow import services
from jiedao.workflow.tests.processes import start_leave, task_for

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "inbox-body"}


def tab_counts(html: str) -> dict[str, int]:
    return {
        box: int(n)
        for box, n in re.findall(
            r'data-testid="tab-(\w+)">\s*[^<]*<span class="badge[^"]*"[^>]*>(\d+)<', html
        )
    }


def heading(html: str) -> str:
    return re.search(r'id="inbox-heading"[^>]*>([^<]*)<', html).group(1)


@pytest.mark.django_db
def test_each_tab_has_its_own_heading_on_the_page_and_in_the_htmx_answer(leave, people):
    client = client_for(people.applicant)
    expected = {"todo": "我的待办", "done": "我的已办", "started": "我发起的", "cc": "抄送我的"}
    for box, title in expected.items():
        page = client.get(f"/workflow/inbox/?box={box}").content.decode()
        assert heading(page) == title and f"<title>{title} · " in page
        partial = client.get(f"/workflow/inbox/?box={box}", **HTMX).content.decode()
        assert f'id="inbox-heading" data-testid="inbox-heading" hx-swap-oob="true">{title}<' in partial
        assert f"<title>{title} · " in partial


@pytest.mark.django_db
def test_tab_counts_follow_the_filter_within_the_query_budget(leave, people, django_assert_max_num_queries):
    first = start_leave(people)
    second = start_leave(people, days=1)
    services.process_start(actor=people.applicant, definition_key="leave", org=people.applicant.org)
    client = client_for(people.applicant)
    everything = client.get("/workflow/inbox/?box=started").content.decode()
    assert tab_counts(everything) == {"todo": 1, "done": 2, "started": 3, "cc": 0}
    assert "按当前筛选条件统计" not in everything

    word = first.title  # only the first request carries this title
    assert word != second.title
    with CaptureQueriesContext(connection) as unfiltered:
        client.get("/workflow/inbox/?box=started", **HTMX)
    with CaptureQueriesContext(connection) as filtered:
        page = client.get(f"/workflow/inbox/?box=started&q={word}", **HTMX).content.decode()
    assert tab_counts(page) == {"todo": 0, "done": 1, "started": 1, "cc": 0}
    assert "各分类的数量按当前筛选条件统计。" in page
    # The list and its tab agree.
    assert page.count('href="/workflow/instances/') == 1
    # Filtered, the tabs take three counts and the sidebar keeps its two totals (待办, 抄送): one query more
    # than the four totals the tabs and the sidebar share.
    assert len(filtered) <= len(unfiltered) + 1, [q["sql"] for q in filtered.captured_queries]


@pytest.mark.django_db
def test_the_htmx_refresh_brings_the_sidebar_counts(leave, people):
    start_leave(people)
    client = client_for(people.head)
    partial = client.get("/workflow/inbox/", **HTMX).content.decode()
    todo = re.search(
        r"""<div hx-swap-oob="innerHTML:#sidebar a\[href='/workflow/inbox/'\]"[^>]*>(.*?)</div>""",
        partial,
        re.S,
    )
    assert todo and "待办" in todo.group(1) and ">1<span" in todo.group(1)
    assert "innerHTML:#sidebar a[href='/workflow/inbox/?box=cc']" in partial
    services.task_claim(actor=people.head2, task=task_for(start_leave(people), "head"))
    partial = client.get("/workflow/inbox/", **HTMX).content.decode()
    todo = re.search(r"""a\[href='/workflow/inbox/'\]"[^>]*>(.*?)</div>""", partial, re.S).group(1)
    assert ">1<span" in todo  # the second request was taken by the other head: still one


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_sidebar_badge_follows_the_refreshed_list(open_page, leave, people):
    start_leave(people)
    page = open_page(user=people.head)
    page.goto("/workflow/inbox/")
    todo_link = page.locator("#sidebar a[href='/workflow/inbox/']")
    expect(todo_link.locator(".badge")).to_have_text("1项")
    start_leave(people, days=1)  # arrives while the page is open
    with page.expect_response(lambda r: "/workflow/inbox/" in r.url):
        page.evaluate(
            "htmx.ajax('GET', document.getElementById('inbox-body').getAttribute('hx-get'),"
            " {source: '#inbox-body', target: '#inbox-body', swap: 'outerHTML'})"
        )
    expect(page.get_by_test_id("inbox-table").locator("tbody tr")).to_have_count(2)
    expect(todo_link.locator(".badge")).to_have_text("2项")
    expect(page.locator("[data-testid=tab-todo] .badge")).to_have_text("2")
    page.get_by_test_id("tab-done").click()
    expect(page.get_by_test_id("inbox-heading")).to_have_text("我的已办")
    expect(page).to_have_title(re.compile("^我的已办"))
    assert not page.problems


@pytest.mark.django_db
def test_start_button_only_for_who_may_start_a_process(leave, people):
    """A supervisor watches processes but starts none: no 发起流程 button leading to a 403."""
    supervisor = client_for(people.supervisor)
    assert supervisor.get("/workflow/start/").status_code == 403
    assert "发起流程" not in supervisor.get("/workflow/inbox/").content.decode()
    applicant = client_for(people.applicant)
    assert 'href="/workflow/start/"' in applicant.get("/workflow/inbox/").content.decode()
