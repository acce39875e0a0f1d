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
    with page.context.expect_event("response", lambda r: r.url.endswith("/notices/acceptance/1/")) as answer:
        page.get_by_role("link", name="打印受理通知书").click()
    response = answer.value
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("inline")  # the browser's viewer, to print
    assert page.url.endswith(f"/hall/staff/applications/{application.pk}/")  # the page itself stays
    # Headless Chromium has no PDF viewer (it saves the file instead): read what it was sent with its cookies.
    text = pdf_text(page.request.get(response.url).body())
    assert "王秀兰" in text and "居住证明开具" in text and application.tracking_code in text
