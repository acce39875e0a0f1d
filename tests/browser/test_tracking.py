"""A resident looks up an application on the public tracking page: with scripts through the JSON API (no page
reload), without scripts through the form, and both show the same result."""

import pytest
from playwright.sync_api import expect

from jiedao.applications.tests.factories import CLERK_PERMISSIONS, make_item, walk_in
from jiedao.core.testing import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def application(tree):
    clerk = make_user(tree.community_a1, *CLERK_PERMISSIONS)
    return walk_in(clerk, make_item(tree.community_a1, name="居住证办理"), phone="13800138000")


def look_up(page, code, phone):
    page.get_by_label("查询码").fill(code)
    page.get_by_label("手机号码").fill(phone)
    page.get_by_role("button", name="查询").click()


def test_look_up_with_and_without_scripts(open_page, page, application):
    page.goto("/hall/track/")
    with page.expect_response("**/api/v1/public/track/") as answer:
        look_up(page, application.tracking_code.lower(), "138 0013 8000")
    assert answer.value.status == 200
    expect(page.get_by_test_id("status")).to_have_text("已提交，待受理")
    result = page.locator("#track-result")
    expect(result).to_contain_text("居住证办理")
    with_scripts = result.inner_text()
    assert "窗口登记" in with_scripts

    with page.expect_response("**/api/v1/public/track/") as answer:
        look_up(page, application.tracking_code, "13900139000")
    assert answer.value.status == 400
    expect(page.get_by_role("alert")).to_contain_text("查询码或手机号码不正确")
    expect(result).not_to_contain_text("居住证办理")

    plain = open_page(javascript=False, console=False)
    plain.goto("/hall/track/")
    with plain.expect_navigation():
        look_up(plain, application.tracking_code, "13800138000")
    expect(plain.get_by_test_id("status")).to_have_text("已提交，待受理")
    assert plain.locator("#track-result").inner_text() == with_scripts


def test_a_provisional_due_date_is_marked_with_scripts_as_without(open_page, page, tree):
    """The look-up through the API showed a due date in a year whose holidays are not entered yet as if
    final; the page the server renders marks it 临时 with the note. Both now say the same."""
    from jiedao.applications import services
    from jiedao.applications.tests.factories import local

    clerk = make_user(tree.community_a1, *CLERK_PERMISSIONS)
    item = make_item(tree.community_a1, name="最低生活保障", promised_limit_days=48, statutory_limit_days=60)
    application = walk_in(clerk, item, phone="13800138000", at=local(2026, 12, 7, 9))
    services.application_accept(actor=clerk, application=application, at=local(2026, 12, 7, 10))

    page.goto("/hall/track/")
    with page.expect_response("**/api/v1/public/track/"):
        look_up(page, application.tracking_code, "13800138000")
    expect(page.get_by_test_id("due-provisional")).to_have_text("临时")
    expect(page.get_by_test_id("due-provisional-note")).to_contain_text("暂按周末计算")
    with_scripts = page.locator("#track-result").inner_text()

    plain = open_page(javascript=False, console=False)
    plain.goto("/hall/track/")
    with plain.expect_navigation():
        look_up(plain, application.tracking_code, "13800138000")
    assert plain.locator("#track-result").inner_text() == with_scripts


def test_an_instant_item_says_so_with_scripts_as_without(open_page, page, tree):
    """The look-up through the API showed the acceptance date of a 即办件 where the page the server renders
    says 即办（当场办结）."""
    from jiedao.applications import services
    from jiedao.catalog.choices import ItemKind

    clerk = make_user(tree.community_a1, *CLERK_PERMISSIONS)
    item = make_item(
        tree.community_a1,
        name="老年优待证办理",
        kind=ItemKind.INSTANT,
        promised_limit_days=0,
        statutory_limit_days=1,
    )
    application = services.application_accept(
        actor=clerk, application=walk_in(clerk, item, phone="13800138000")
    )

    page.goto("/hall/track/")
    with page.expect_response("**/api/v1/public/track/"):
        look_up(page, application.tracking_code, "13800138000")
    expect(page.get_by_test_id("due-instant")).to_have_text("即办（当场办结）")
    with_scripts = page.locator("#track-result").inner_text()

    plain = open_page(javascript=False, console=False)
    plain.goto("/hall/track/")
    with plain.expect_navigation():
        look_up(plain, application.tracking_code, "13800138000")
    assert plain.locator("#track-result").inner_text() == with_scripts
