from jiedao.core.scope import DataScope
from jiedao.core.testing import ScopedModelContract, client_for, make_user
from jiedao.orgs.models import OrgUnit
from jiedao.orgs.tests.test_services import ADMIN_PERMS


class TestOrgUnitScope(ScopedModelContract):
    view_permission = "orgs.view_orgunit"
    api_list_url = "/api/v1/orgs/"

    def make_object(self, org):
        return org

    def api_detail_url(self, obj):
        return f"/api/v1/orgs/{obj.pk}/"


def test_tree_page_shows_only_the_users_subtree(tree):
    user = make_user(tree.subdistrict_a, "orgs.view_orgunit")
    page = client_for(user).get("/orgs/").content.decode()
    assert "甲一社区" in page and "甲一第一网格" in page
    assert "乙一社区" not in page


def test_admin_creates_a_node_through_the_form_and_sees_chinese_errors(tree):
    admin = make_user(tree.district, *ADMIN_PERMS, scope=DataScope.ALL)
    client = client_for(admin)
    bad = client.post(
        f"/orgs/{tree.subdistrict_a.pk}/new/", {"name": "甲九社区", "level": 3, "division_code": "1101050010"}
    )
    assert bad.status_code == 200 and "区划代码应为 12 位数字" in bad.content.decode()
    good = client.post(
        f"/orgs/{tree.subdistrict_a.pk}/new/",
        {"name": "甲九社区", "level": 3, "division_code": "110105001009"},
    )
    assert good.status_code == 302
    assert OrgUnit.objects.filter(name="甲九社区", parent=tree.subdistrict_a).exists()


def test_viewer_without_permission_cannot_open_create_form(tree):
    viewer = make_user(tree.subdistrict_a, "orgs.view_orgunit")
    assert client_for(viewer).get(f"/orgs/{tree.subdistrict_a.pk}/new/").status_code == 403


def test_admin_of_one_subdistrict_gets_404_for_other_subdistrict_node(tree):
    admin = make_user(tree.subdistrict_a, *ADMIN_PERMS)
    assert client_for(admin).get(f"/orgs/{tree.community_b1.pk}/edit/").status_code == 404
