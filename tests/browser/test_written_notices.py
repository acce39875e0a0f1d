"""打印 on an application's page opens its written notice (受理通知书) as a PDF, in a new tab."""

import pytest
from playwright.sync_api import expect

from jiedao.applications import services
from jiedao.applications.tests.factories import CLERK_PERMISSIONS, make_item, walk_in
from jiedao.applications.tests.pdftext import pdf_text
from jiedao.core.testing import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_print_opens_the_acceptance_notice(open_page, tree):
    clerk = make_user(tree.community_a1, *CLERK_PERMISSIONS)
    application = walk_in(clerk, make_item(tree.community_a1, name="居住证明开具"), name="王秀兰")
    services.application_accept(actor=clerk, application=application)
    page = open_page(user=clerk)
    page.goto(f"/hall/staff/applications/{application.pk}/")
    notices = page.get_by_test_id("notices")
    expect(notices).to_contain_text("受理通知书")
    expect(notices).to_contain_text("材料接收凭证")
    link = page.get_by_role("link", name="打印受理通知书")
    url = link.get_attribute("href")
    assert url.endswith(f"/applications/{application.pk}/notices/acceptance/1/")
    # The document's text, read before the click with the page's cookies. Not after it: the tab the click opens
    # asks the server for /favicon.ico once Chromium's PDF viewer is up, a request Playwright neither reports
    # nor can wait for, and the live server's threads share the one in-memory SQLite connection, so a fetch
    # overlapping it may come back as an error or login page with no PDF text. (The navigation's own body is
    # no help: with the viewer, Playwright hands back the viewer's HTML wrapper, not the PDF.)
    fetched = page.request.get(url)
    assert fetched.status == 200 and fetched.headers["content-type"] == "application/pdf"
    text = pdf_text(fetched.body())
    assert "王秀兰" in text and "居住证明开具" in text and application.tracking_code in text
    with page.context.expect_event("response", lambda r: r.url.endswith(url)) as answer:
        link.click()
    response = answer.value
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("inline")  # the browser's viewer, to print
    assert page.url.endswith(f"/hall/staff/applications/{application.pk}/")  # the page itself stays
