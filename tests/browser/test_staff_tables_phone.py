"""Staff tables on a 390 px phone, in English (the longer labels): a table wider than the screen scrolls in
its own box; the page itself never scrolls sideways."""

import pytest

from jiedao.core.testing import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.mark.parametrize(
    "path", ["/hall/staff/ratings/", "/hall/staff/rectifications/", "/hall/staff/agency/mine/"]
)
def test_service_hall_tables_fit_a_phone_in_english(open_page, live_server, tree, path):
    user = make_user(tree.subdistrict_a, "applications.view_rating", "applications.view_rectification")
    page = open_page(390, 844, user=user)
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page.goto(path)
    assert page.locator("main table").count() >= 1
    assert page.evaluate(OVERFLOW) <= 0


def test_person_page_household_members_fit_a_phone_in_english(open_page, live_server, tree):
    from jiedao.registry import services as registry
    from jiedao.registry.tests import factories as people

    clerk = people.staff(tree.community_a1)
    head = people.person(clerk, tree.community_a1, name="周桂芳")
    registry.household_create(
        actor=clerk,
        org=tree.community_a1,
        number="330110001001-9001",
        registered_address="柳浪路 1 号",
        head=head,
    )
    page = open_page(390, 844, user=clerk)
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page.goto(f"/registry/persons/{head.pk}/")
    assert page.get_by_test_id("household-members").count() == 1
    assert page.evaluate(OVERFLOW) <= 0
