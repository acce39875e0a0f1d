"""The 行政复议机关 and 管辖法院 a node's refusals name: set on the org edit page, inherited down the tree."""

from __future__ import annotations

import pytest

from jiedao.audit.models import AuditEvent
from jiedao.core import demo as core_demo
from jiedao.core.exceptions import ValidationFailed
from jiedao.core.scope import DataScope
from jiedao.core.testing import api_client_for, client_for, make_user
from jiedao.orgs import services
from jiedao.orgs.models import OrgUnit
from jiedao.orgs.tests.test_services import ADMIN_PERMS

pytestmark = pytest.mark.django_db

GOVERNMENT = "北京市测试区人民政府"
COURT = "北京市测试区人民法院"


@pytest.fixture
def admin(tree):
    return make_user(tree.district, *ADMIN_PERMS, scope=DataScope.ALL)


def _edit(node, **changes) -> dict:
    data = {"name": node.name, "division_code": node.division_code, "sort_order": node.sort_order}
    data.update({"reconsideration_body": "", "litigation_court": "", **changes})
    return data


def test_each_name_comes_from_the_node_or_its_nearest_ancestor_that_sets_it(tree):
    assert tree.grid_a1.remedy_bodies().reconsideration_body == ""
    OrgUnit.objects.filter(pk=tree.district.pk).update(
        reconsideration_body=GOVERNMENT, litigation_court=COURT
    )
    OrgUnit.objects.filter(pk=tree.subdistrict_a.pk).update(litigation_court="北京铁路运输法院")
    grid = OrgUnit.objects.get(pk=tree.grid_a1.pk)
    assert (grid.remedy_bodies().reconsideration_body, grid.remedy_bodies().litigation_court) == (
        GOVERNMENT,
        "北京铁路运输法院",
    )
    other = OrgUnit.objects.get(pk=tree.community_b1.pk).remedy_bodies()
    assert (other.reconsideration_body, other.litigation_court) == (GOVERNMENT, COURT)


def test_the_admin_sets_them_on_the_district_edit_page_and_the_tree_below_shows_them(tree, admin):
    client = client_for(admin)
    page = client.get(f"/orgs/{tree.district.pk}/edit/").content.decode()
    assert "行政复议机关" in page and "管辖法院" in page
    response = client.post(
        f"/orgs/{tree.district.pk}/edit/",
        _edit(tree.district, reconsideration_body=f" {GOVERNMENT} ", litigation_court=COURT),
    )
    assert response.status_code == 302
    tree.district.refresh_from_db()
    assert (tree.district.reconsideration_body, tree.district.litigation_court) == (GOVERNMENT, COURT)
    event = AuditEvent.objects.get(event_name="orgs.orgunit.renamed", target_id=str(tree.district.pk))
    assert event.before["reconsideration_body"] == "" and event.after["reconsideration_body"] == GOVERNMENT
    # a community left blank says whose names its notices will carry
    page = client.get(f"/orgs/{tree.community_a1.pk}/edit/").content.decode()
    assert f"不填则沿用上级的设置：{GOVERNMENT}。" in page and f"不填则沿用上级的设置：{COURT}。" in page
    detail = api_client_for(admin).get(f"/api/v1/orgs/{tree.district.pk}/").json()
    assert (detail["reconsideration_body"], detail["litigation_court"]) == (GOVERNMENT, COURT)


def test_an_over_long_name_is_refused_in_chinese_and_nothing_typed_is_lost(tree, admin):
    long_court = "北京市" + "测" * 100 + "人民法院"
    response = client_for(admin).post(
        f"/orgs/{tree.district.pk}/edit/",
        _edit(
            tree.district, name="测试区（改）", reconsideration_body=GOVERNMENT, litigation_court=long_court
        ),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert f"管辖法院名称最多 100 个字（现有 {len(long_court)} 个字）。" in page
    assert long_court in page and GOVERNMENT in page and "测试区（改）" in page  # the form comes back filled
    tree.district.refresh_from_db()
    assert tree.district.name == "测试区" and tree.district.reconsideration_body == ""


def test_the_service_refuses_an_over_long_name_from_any_caller(tree, admin):
    with pytest.raises(ValidationFailed) as error:
        services.org_rename(
            actor=admin,
            node=tree.district,
            name=tree.district.name,
            division_code=tree.district.division_code,
            reconsideration_body="区" * 101,
        )
    assert error.value.errors["reconsideration_body"] == ["行政复议机关名称最多 100 个字（现有 101 个字）。"]
    tree.district.refresh_from_db()
    assert tree.district.reconsideration_body == ""


def test_the_demo_district_names_its_government_and_court_for_every_node_below(db):
    core_demo.load_tree()
    community = OrgUnit.objects.get(name="柳浪社区").remedy_bodies()
    assert (community.reconsideration_body, community.litigation_court) == (
        "杭州市明湖区人民政府",
        "杭州市明湖区人民法院",
    )
