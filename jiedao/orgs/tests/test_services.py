import pytest

from jiedao.audit.models import AuditEvent
from jiedao.core.exceptions import OutOfScope, PermissionDenied, ServiceError, ValidationFailed
from jiedao.core.scope import DataScope
from jiedao.core.testing import make_user
from jiedao.orgs import services
from jiedao.orgs.choices import OrgLevel
from jiedao.orgs.models import OrgUnit

ADMIN_PERMS = (
    "orgs.add_orgunit",
    "orgs.change_orgunit",
    "orgs.move_orgunit",
    "orgs.deactivate_orgunit",
    "orgs.delete_orgunit",
    "orgs.view_orgunit",
)


@pytest.fixture
def admin(tree):
    return make_user(tree.district, *ADMIN_PERMS, scope=DataScope.ALL)


def test_create_community_under_subdistrict_is_audited(tree, admin):
    node = services.org_create(
        actor=admin,
        name="甲三社区",
        level=OrgLevel.COMMUNITY,
        division_code="110105001003",
        parent=tree.subdistrict_a,
    )
    assert node.path.startswith(tree.subdistrict_a.path)
    event = AuditEvent.objects.get(event_name="orgs.orgunit.created")
    assert event.actor == admin and event.target_id == str(node.pk) and event.after["name"] == "甲三社区"


def test_create_with_wrong_level_or_code_changes_nothing(tree, admin):
    before = OrgUnit.objects.count()
    with pytest.raises(ValidationFailed) as error:
        services.org_create(
            actor=admin,
            name="错层社区",
            level=OrgLevel.COMMUNITY,
            division_code="110105001003",
            parent=tree.district,
        )
    assert "上级必须是街道" in error.value.errors["parent"][0]
    with pytest.raises(ValidationFailed) as error:
        services.org_create(
            actor=admin,
            name="错码社区",
            level=OrgLevel.COMMUNITY,
            division_code="110105002009",
            parent=tree.subdistrict_a,
        )
    assert "110105001" in error.value.errors["division_code"][0]
    with pytest.raises(ValidationFailed) as error:
        services.org_create(
            actor=admin,
            name="重码社区",
            level=OrgLevel.COMMUNITY,
            division_code="110105001001",
            parent=tree.subdistrict_a,
        )
    assert "已被其他节点使用" in error.value.errors["division_code"][0]
    assert OrgUnit.objects.count() == before
    assert not AuditEvent.objects.filter(event_name="orgs.orgunit.created").exists()


def test_move_community_with_its_grids_to_another_subdistrict(tree, admin):
    services.org_move(
        actor=admin, node=tree.community_a2, new_parent=tree.subdistrict_b, division_code="110105002002"
    )
    tree.community_a2.refresh_from_db()
    assert tree.community_a2.parent == tree.subdistrict_b
    assert tree.community_a2.path.startswith(tree.subdistrict_b.path)
    # the grid follows its community: new path and the community's new code as prefix
    services.org_move(
        actor=admin, node=tree.community_a1, new_parent=tree.subdistrict_b, division_code="110105002005"
    )
    tree.grid_a1.refresh_from_db()
    assert tree.grid_a1.path.startswith(tree.subdistrict_b.path)
    assert tree.grid_a1.division_code == "110105002005001"


def test_move_keeps_code_rule_and_refuses_own_descendant(tree, admin):
    with pytest.raises(ValidationFailed) as error:
        services.org_move(actor=admin, node=tree.subdistrict_a, new_parent=tree.subdistrict_a)
    assert "不能把节点移动到它自己或它的下级之下" in error.value.errors["parent"][0]
    with pytest.raises(ValidationFailed):
        services.org_move(
            actor=admin, node=tree.community_a2, new_parent=tree.subdistrict_b
        )  # code 110105001…
    tree.community_a2.refresh_from_db()
    assert tree.community_a2.parent == tree.subdistrict_a


def test_subtree_paths_follow_a_move(tree, admin):
    new_sub = services.org_create(
        actor=admin,
        name="丙街道",
        level=OrgLevel.SUBDISTRICT,
        division_code="110105003000",
        parent=tree.district,
    )
    community = services.org_create(
        actor=admin, name="丙一社区", level=OrgLevel.COMMUNITY, division_code="110105003001", parent=new_sub
    )
    grid = services.org_create(
        actor=admin, name="丙一网格", level=OrgLevel.GRID, division_code="110105003001001", parent=community
    )
    other_district = services.org_create(
        actor=admin, name="测试二区", level=OrgLevel.DISTRICT, division_code="110106", parent=None
    )
    services.org_move(actor=admin, node=new_sub, new_parent=other_district, division_code="110106001000")
    grid.refresh_from_db()
    community.refresh_from_db()
    assert grid.path.startswith(other_district.path)
    assert (community.division_code, grid.division_code) == ("110106001001", "110106001001001")


def test_deactivate_subtree_and_delete_only_when_empty(tree, admin):
    services.org_set_active(actor=admin, node=tree.community_a1, active=False)
    tree.grid_a1.refresh_from_db()
    assert not tree.grid_a1.is_active
    make_user(tree.community_a2)
    with pytest.raises(ServiceError) as error:
        services.org_delete(actor=admin, node=tree.community_a2)
    assert "不能删除，请改为停用" in str(error.value.message)
    assert OrgUnit.objects.filter(pk=tree.community_a2.pk).exists()
    grid_pk = tree.grid_a1.pk
    services.org_delete(actor=admin, node=tree.grid_a1)
    assert not OrgUnit.objects.filter(pk=grid_pk).exists()
    assert AuditEvent.objects.filter(event_name="orgs.orgunit.deleted", target_id=str(grid_pk)).exists()


def test_subdistrict_admin_cannot_touch_another_subdistrict(tree):
    local_admin = make_user(tree.subdistrict_a, *ADMIN_PERMS, scope=DataScope.SUBTREE)
    with pytest.raises(OutOfScope):
        services.org_rename(
            actor=local_admin, node=tree.community_b1, name="改名", division_code="110105002001"
        )
    with pytest.raises(OutOfScope):
        services.org_create(
            actor=local_admin,
            name="越权社区",
            level=OrgLevel.COMMUNITY,
            division_code="110105002005",
            parent=tree.subdistrict_b,
        )
    viewer = make_user(tree.subdistrict_a, "orgs.view_orgunit")
    with pytest.raises(PermissionDenied):
        services.org_rename(actor=viewer, node=tree.community_a1, name="改名", division_code="110105001001")
    tree.community_b1.refresh_from_db()
    assert tree.community_b1.name == "乙一社区"
