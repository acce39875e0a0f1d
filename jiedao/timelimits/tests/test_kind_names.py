"""The monitoring pages name the kind of record a clock times in Chinese, never by its internal key."""

from jiedao.core.scope import DataScope
from jiedao.core.testing import client_for, make_user
from jiedao.timelimits.tests.helpers import start

INTERNAL_KEYS = ("applications.application", "applications.rectification", "workflow.task")


def test_the_clock_page_shows_only_the_chinese_name_of_the_kind(tree):
    user = make_user(tree.community_a1, "timelimits.view_clock")
    clock = start(tree.community_a1, kind="applications.application")
    html = client_for(user).get(f"/timelimits/{clock.pk}/").content.decode()
    assert "政务服务办件" in html
    assert "applications.application" not in html


def test_the_threshold_page_lists_kinds_by_their_chinese_names(tree):
    admin = make_user(tree.district, "timelimits.change_clockpolicy", scope=DataScope.ALL)
    response = client_for(admin).get("/timelimits/policies/")
    assert response.status_code == 200
    table = response.content.decode().split('data-testid="policy-table"')[1].split("</table>")[0]
    for name in ("政务服务办件", "差评整改", "流程待办"):
        assert name in table
    for key in INTERNAL_KEYS:
        # the edit links carry the key in their address, which is not shown
        assert f">{key}<" not in table and f"{key}</" not in table
