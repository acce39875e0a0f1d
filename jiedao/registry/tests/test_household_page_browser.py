"""The household page in a real browser: the split form's member checkboxes no longer lie over the address
field, and a birth is registered from the page."""

from datetime import date

import pytest

from jiedao.core.testing import sign_in
from jiedao.registry.tests.factories import new_id_number

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(open_page):
    return open_page()


@pytest.fixture
def household(clerk, family):
    return clerk, family[0]


def test_split_checkboxes_sit_above_the_address_and_can_be_clicked(page, live_server, household):
    clerk, household = household
    sign_in(page, clerk, live_server)
    page.goto(f"/registry/households/{household.pk}/")
    page.locator("summary", has_text="分户").click()
    split = page.locator(f"form[action='/registry/households/{household.pk}/split/']")
    members = split.get_by_role("group", name="随新户主分出的成员")
    boxes = members.get_by_role("checkbox")
    assert boxes.count() == 2
    address = split.get_by_label("新户户籍地址")
    assert members.bounding_box()["y"] + members.bounding_box()["height"] <= address.bounding_box()["y"]
    for index in range(2):
        members.locator(".form-check-label").nth(index).click()
        assert boxes.nth(index).is_checked()
    assert not address.evaluate("element => element === document.activeElement")
    selects = split.locator("select[name^=relation_]")
    assert selects.count() == 2
    for index in range(2):
        assert "form-select" in selects.nth(index).get_attribute("class")
    assert page.problems == []


def test_birth_is_registered_from_the_household_page(page, live_server, household):
    clerk, household = household
    sign_in(page, clerk, live_server)
    page.goto(f"/registry/households/{household.pk}/")
    page.locator("summary", has_text="出生登记").click()
    form = page.locator(f"form[action='/registry/households/{household.pk}/birth/']")
    form.get_by_label("姓名").fill("王小宝")
    form.get_by_label("性别").select_option(label="男")
    form.get_by_label("出生日期").fill("2026-01-15")
    form.get_by_label("公民身份号码").fill(new_id_number(date(2026, 1, 16)))
    form.get_by_label("与户主关系").select_option(label="子")
    form.get_by_role("button", name="登记出生").click()
    # the number says the 16th: refused with the reason, on the form
    main = page.locator("main")
    assert "出生日期与证件号码不符" in main.inner_text()
    page.get_by_label("出生日期").fill("2026-01-16")
    page.get_by_role("button", name="登记出生").click()
    page.wait_for_url("**/registry/persons/*/")
    assert "出生登记已完成。" in main.inner_text()
    timeline = page.get_by_test_id("timeline").inner_text()
    assert "2026-01-16 · 出生" in timeline and "出生，入户 330110001001-0001" in timeline
