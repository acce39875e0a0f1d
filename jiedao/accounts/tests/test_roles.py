import pytest

from jiedao.accounts import services
from jiedao.accounts.choices import AdminDuty
from jiedao.accounts.models import Role
from jiedao.audit.models import AuditEvent
from jiedao.core.demo import load_roles
from jiedao.core.exceptions import OutOfScope, PermissionDenied, ValidationFailed
from jiedao.core.scope import DataScope
from jiedao.core.testing import client_for, make_user


@pytest.fixture
def roles(tree):
    return load_roles()


@pytest.fixture
def admins(tree, roles):
    system = make_user(tree.district, username="sys", roles=[roles["system-admin"]])
    security = make_user(tree.district, username="sec", roles=[roles["security-admin"]])
    auditor = make_user(tree.district, username="aud", roles=[roles["auditor"]])
    return system, security, auditor


def test_system_admin_manages_users_but_cannot_grant_roles_or_read_audit(tree, roles, admins):
    system, _security, _auditor = admins
    clerk = services.user_create(
        actor=system, data=services.UserData("clerk", "办事员", tree.community_a1), password="Clerk-Pass-1"
    )
    with pytest.raises(PermissionDenied):
        services.user_assign_roles(actor=system, user=clerk, roles=[roles["community-staff"]])
    with pytest.raises(PermissionDenied):
        services.user_assign_roles(actor=system, user=system, roles=[roles["security-admin"]])
    assert client_for(system).get("/audit/").status_code in (403, 404)
    assert clerk.roles.count() == 0


def test_security_admin_assigns_roles_but_never_to_himself(tree, roles, admins):
    system, security, _auditor = admins
    clerk = make_user(tree.community_a1, username="clerk")
    services.user_assign_roles(actor=security, user=clerk, roles=[roles["community-staff"]])
    assert list(clerk.roles.values_list("code", flat=True)) == ["community-staff"]
    event = AuditEvent.objects.get(event_name="accounts.user.roles_assigned")
    assert event.before == {"roles": []} and event.after == {"roles": ["community-staff"]}
    with pytest.raises(PermissionDenied) as error:
        services.user_assign_roles(actor=security, user=security, roles=[roles["auditor"]])
    assert "不能为自己分配" in str(error.value.message)
    with pytest.raises(PermissionDenied):
        services.user_create(
            actor=security, data=services.UserData("x", "某", tree.community_a1), password="Xyz-12345"
        )


def test_admin_duties_are_not_combined(tree, roles, admins):
    _system, security, _auditor = admins
    clerk = make_user(tree.community_a1, username="clerk")
    with pytest.raises(ValidationFailed) as error:
        services.user_assign_roles(
            actor=security, user=clerk, roles=[roles["system-admin"], roles["auditor"]]
        )
    assert "三员分立" in error.value.message
    with pytest.raises(ValidationFailed):
        services.user_assign_roles(
            actor=security, user=clerk, roles=[roles["auditor"], roles["community-staff"]]
        )


def test_security_admin_cannot_change_the_role_he_holds(tree, roles, admins):
    _system, security, _auditor = admins
    data = services.RoleData(
        code="security-admin",
        name="安全管理员",
        description="",
        data_scope=DataScope.ALL,
        permissions=list(roles["security-admin"].permissions.all()),
        custom_orgs=[],
    )
    with pytest.raises(PermissionDenied):
        services.role_update(actor=security, role=roles["security-admin"], data=data)


def test_audit_permissions_only_for_the_auditor_role(tree, roles, admins):
    _system, security, _auditor = admins
    audit_perm = list(roles["auditor"].permissions.filter(content_type__app_label="audit"))
    data = services.RoleData(
        code="sneaky",
        name="偷看审计",
        description="",
        data_scope=DataScope.ALL,
        permissions=audit_perm,
        custom_orgs=[],
    )
    with pytest.raises(ValidationFailed) as error:
        services.role_create(actor=security, data=data)
    assert "审计权限只能授予安全审计员" in error.value.message
    assert not Role.objects.filter(code="sneaky").exists()


def test_custom_scope_needs_nodes_and_limits_what_is_seen(tree, roles, admins):
    from jiedao.core.testing import permissions

    _system, security, _auditor = admins
    data = services.RoleData(
        code="grid-watch",
        name="网格巡查",
        description="",
        data_scope=DataScope.CUSTOM,
        permissions=permissions("orgs.view_orgunit"),
        custom_orgs=[],
    )
    with pytest.raises(ValidationFailed):
        services.role_create(actor=security, data=data)
    data.custom_orgs = [tree.community_a2, tree.community_b1]
    role = services.role_create(actor=security, data=data)
    watcher = make_user(tree.community_a1, roles=[role])
    from jiedao.orgs.models import OrgUnit

    names = set(OrgUnit.objects.visible_to(watcher, "view").values_list("name", flat=True))
    assert names == {"甲二社区", "乙一社区"}


def test_menus_show_only_what_the_role_may_use(tree, roles, admins):
    system, security, auditor = admins
    system_page = client_for(system).get("/workbench/").content.decode()
    security_page = client_for(security).get("/workbench/").content.decode()
    assert "组织机构" in system_page and "角色与权限" not in system_page
    assert "角色与权限" in security_page and "组织机构" not in security_page
    clerk = make_user(tree.community_a1, roles=[roles["community-staff"]])
    clerk_page = client_for(clerk).get("/workbench/").content.decode()
    assert "用户管理" not in clerk_page and "角色与权限" not in clerk_page


def test_community_user_cannot_see_another_communitys_user(tree, roles):
    viewer = make_user(tree.community_a1, "accounts.view_user")
    other = make_user(tree.community_b1)
    with pytest.raises(OutOfScope):
        services.user_update(
            actor=make_user(tree.community_a1, "accounts.change_user"),
            user=other,
            data=services.UserData(other.username, "改名", tree.community_b1),
        )
    from jiedao.core.testing import api_client_for

    assert api_client_for(viewer).get(f"/api/v1/users/{other.pk}/").status_code == 404
    assert client_for(viewer).get(f"/accounts/users/{other.pk}/edit/").status_code == 403


def test_admin_roles_have_a_two_factor_duty(roles):
    assert roles["system-admin"].admin_duty == AdminDuty.SYSTEM
    assert {r.admin_duty for r in roles.values()} >= {AdminDuty.SYSTEM, AdminDuty.SECURITY, AdminDuty.AUDIT}


def test_role_page_names_every_permission_in_chinese(tree, roles, admins):
    _system, security, _auditor = admins
    page = client_for(security).get("/accounts/roles/new/").content.decode()
    assert "Can add" not in page and "Can view" not in page and "Can change" not in page
    assert "人口房屋企业信息（一标三实） · 查看人口" in page  # a built-in permission: app · action + model
    assert "受理、补正、不予受理、中止与恢复办件" in page  # a permission the model declares
    assert "用户与权限 · 查看历史密码" in page and "password history" not in page
    assert "网上办事大厅 · 查看证明编号计数器" in page and "certificate counter" not in page
