"""Exploratory-testing fixes of the service hall (窗口收件, 即办件, tracking, notices)."""

from __future__ import annotations

import pytest

from jiedao.applications.tests.factories import CLERK_PERMISSIONS, make_item
from jiedao.core.testing import client_for, make_user

pytestmark = pytest.mark.django_db

WALK_IN = "/hall/staff/applications/new/"


@pytest.fixture
def clerk(tree):
    return make_user(tree.community_a1, *CLERK_PERMISSIONS)


class TestWalkInItemName:
    def test_the_chosen_items_name_is_shown_and_selected_in_the_picker(self, clerk, tree):
        make_item(tree.community_a1, name="老年优待证办理")
        item = make_item(tree.community_a1, name="居住证明开具")
        page = client_for(clerk).get(f"{WALK_IN}?item={item.pk}").content.decode()
        shown = page.split('data-testid="walk-in-item">')[1].split("</p>")[0]
        assert "居住证明开具" in shown and "item" not in shown
        assert f'<option value="{item.pk}" selected>居住证明开具</option>' in page
        assert "更换事项" in page

    def test_without_an_item_the_page_asks_to_choose_one(self, clerk, tree):
        make_item(tree.community_a1)
        page = client_for(clerk).get(WALK_IN).content.decode()
        assert 'data-testid="walk-in-item"' not in page and "先选择事项" in page
