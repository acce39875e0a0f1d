"""Test helpers shared by every app: a small org tree, users with given permissions and scope,
and `ScopedModelContract`, the same in-scope / sibling / parent tests for every scoped model."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import count

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from jiedao.accounts.models import Role, User
from jiedao.core.scope import DataScope
from jiedao.orgs.choices import OrgLevel
from jiedao.orgs.models import OrgUnit

TEST_PASSWORD = "Test-Passw0rd!"
_serial = count(1)


@dataclass
class Tree:
    """district → subdistrict_a → (community_a1 → grid_a1, community_a2); district → subdistrict_b → community_b1"""

    district: OrgUnit
    subdistrict_a: OrgUnit
    community_a1: OrgUnit
    grid_a1: OrgUnit
    community_a2: OrgUnit
    subdistrict_b: OrgUnit
    community_b1: OrgUnit


def _node(name: str, level: int, code: str, parent: OrgUnit | None) -> OrgUnit:
    node = OrgUnit.objects.create(name=name, level=level, division_code=code, parent=parent, path="tmp")
    node.path = node.path_for(parent)
    node.save(update_fields=["path"])
    return node


def build_tree() -> Tree:
    district = _node("测试区", OrgLevel.DISTRICT, "110105000000", None)
    sub_a = _node("甲街道", OrgLevel.SUBDISTRICT, "110105001000", district)
    comm_a1 = _node("甲一社区", OrgLevel.COMMUNITY, "110105001001", sub_a)
    grid_a1 = _node("甲一第一网格", OrgLevel.GRID, "110105001001001", comm_a1)
    comm_a2 = _node("甲二社区", OrgLevel.COMMUNITY, "110105001002", sub_a)
    sub_b = _node("乙街道", OrgLevel.SUBDISTRICT, "110105002000", district)
    comm_b1 = _node("乙一社区", OrgLevel.COMMUNITY, "110105002001", sub_b)
    return Tree(district, sub_a, comm_a1, grid_a1, comm_a2, sub_b, comm_b1)


def permissions(*names: str) -> list[Permission]:
    found = []
    for name in names:
        app_label, codename = name.split(".", 1)
        found.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return found


def make_role(*perms: str, scope: str = DataScope.SUBTREE, admin_duty: str = "", custom_orgs=()) -> Role:
    n = next(_serial)
    role = Role.objects.create(
        code=f"test-role-{n}", name=f"测试角色{n}", data_scope=scope, admin_duty=admin_duty
    )
    role.permissions.set(permissions(*perms))
    role.custom_orgs.set(custom_orgs)
    return role


def make_user(
    org: OrgUnit,
    *perms: str,
    scope: str = DataScope.SUBTREE,
    username: str | None = None,
    admin_duty: str = "",
    roles=(),
) -> User:
    """A user whose password is TEST_PASSWORD and is not expired, holding one role with `perms` at `scope`."""
    from django.utils import timezone

    n = next(_serial)
    user = User(username=username or f"user{n}", full_name=f"测试用户{n}", org=org)
    user.set_password(TEST_PASSWORD)
    user.password_changed_at = timezone.now()
    user.save()
    if perms:
        user.roles.add(make_role(*perms, scope=scope, admin_duty=admin_duty))
    for role in roles:
        user.roles.add(role)
    return user


def client_for(user: User) -> Client:
    """A test client logged in as `user`, past the two-factor step."""
    client = Client()
    client.force_login(user, backend="jiedao.accounts.backends.RoleBackend")
    session = client.session
    session["second_factor_done"] = True
    session.save()
    return client


def api_client_for(user: User):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


class ScopedModelContract:
    """Mix into a test class for a scoped model and define:

    - `make_object(self, org)`: create a record in `org` (may use services or the ORM)
    - `view_permission`: e.g. "registry.view_person"
    - `detail_url(self, obj)` and/or `api_detail_url(self, obj)`; `api_list_url` (optional)
    The contract checks that a community user sees their own record, gets 404 for a sibling community's
    record and for a record of the parent node, and that a sub-district user sees records of its communities.
    """

    view_permission: str = ""
    api_list_url: str | None = None

    def make_object(self, org):  # pragma: no cover - defined by each test class
        raise NotImplementedError

    def detail_url(self, obj) -> str | None:
        return None

    def api_detail_url(self, obj) -> str | None:
        return None

    @pytest.fixture
    def tree(self, db):
        return build_tree()

    def _urls(self, obj):
        return [u for u in (self.detail_url(obj), self.api_detail_url(obj)) if u]

    def _get(self, user, url):
        client = api_client_for(user) if url.startswith("/api/") else client_for(user)
        return client.get(url)

    def test_in_scope_record_is_visible(self, tree):
        user = make_user(tree.community_a1, self.view_permission)
        obj = self.make_object(tree.community_a1)
        model = type(obj)
        assert model.objects.visible_to(user, self.view_permission).filter(pk=obj.pk).exists()
        for url in self._urls(obj):
            assert self._get(user, url).status_code == 200, url

    def test_sibling_community_record_is_not_found(self, tree):
        user = make_user(tree.community_a1, self.view_permission)
        obj = self.make_object(tree.community_a2)
        assert not type(obj).objects.visible_to(user, self.view_permission).filter(pk=obj.pk).exists()
        for url in self._urls(obj):
            assert self._get(user, url).status_code == 404, url

    def test_parent_node_record_is_not_found_for_community_user(self, tree):
        user = make_user(tree.community_a1, self.view_permission)
        obj = self.make_object(tree.subdistrict_a)
        assert not type(obj).objects.visible_to(user, self.view_permission).filter(pk=obj.pk).exists()
        for url in self._urls(obj):
            assert self._get(user, url).status_code == 404, url

    def test_parent_node_user_sees_community_record(self, tree):
        user = make_user(tree.subdistrict_a, self.view_permission)
        obj = self.make_object(tree.community_a1)
        assert type(obj).objects.visible_to(user, self.view_permission).filter(pk=obj.pk).exists()
        for url in self._urls(obj):
            assert self._get(user, url).status_code == 200, url

    def test_list_shows_only_scope(self, tree):
        if not self.api_list_url:
            return
        user = make_user(tree.community_a1, self.view_permission)
        mine = self.make_object(tree.community_a1)
        other = self.make_object(tree.community_b1)
        response = api_client_for(user).get(self.api_list_url)
        assert response.status_code == 200
        ids = {row["id"] for row in response.json()["results"]}
        assert mine.pk in ids and other.pk not in ids


def sign_in(page, user, live_server) -> None:
    """The browser page carries `user`'s session (a test client's login), in place of anyone before."""
    page.context.clear_cookies()
    session = client_for(user).cookies["sessionid"].value
    page.context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
