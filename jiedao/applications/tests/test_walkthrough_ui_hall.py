"""Service-hall defects found in a user walkthrough: what the user sees on the staff and resident pages."""

from __future__ import annotations

import pytest

from jiedao.applications import services
from jiedao.applications.models import ExtensionStatus
from jiedao.applications.tests.factories import CLERK_PERMISSIONS, local, make_item, walk_in
from jiedao.core.testing import client_for, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(tree):
    return make_user(tree.community_a1, *CLERK_PERMISSIONS, "applications.extend_application")


@pytest.fixture
def leader(tree):
    return make_user(tree.subdistrict_a, "applications.view_application", "applications.approve_extension")


@pytest.fixture
def accepted(clerk, tree):
    application = walk_in(clerk, make_item(tree.community_a1), at=local(2026, 3, 2, 9))
    return services.application_accept(actor=clerk, application=application, at=local(2026, 3, 2, 10))


class TestExtensionDecision:
    def test_no_option_chosen_asks_for_a_decision_on_the_form(self, clerk, leader, accepted):
        services.application_extension_request(actor=clerk, application=accepted, days=3, reason="复杂")
        response = client_for(leader).post(f"/hall/staff/applications/{accepted.pk}/extend/", {"note": ""})
        assert response.status_code == 200
        page = response.content.decode()
        assert "请选择审批结果。" in page and "无权访问" not in page
        assert accepted.extension_requests.get().status == ExtensionStatus.PENDING
