"""What a user's roles let them reach, and what asking about it costs a staff page."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from jiedao.core.demo import load_roles
from jiedao.core.scope import DataScope, scope_for
from jiedao.core.testing import client_for, make_role, make_user


def test_a_permission_reaches_the_union_of_the_scopes_of_the_roles_that_carry_it(tree):
    clerk = make_user(tree.community_a1, "registry.view_person", scope=DataScope.NODE)
    clerk.roles.add(
        make_role("registry.view_person", scope=DataScope.CUSTOM, custom_orgs=[tree.subdistrict_b]),
        make_role("registry.change_person", scope=DataScope.SUBTREE),
        make_role("registry.delete_person", scope=DataScope.OWN),
    )
    inactive = make_role("registry.view_person", "registry.delete_person", scope=DataScope.ALL)
    inactive.is_active = False
    inactive.save()
    clerk.roles.add(inactive)

    view = scope_for(clerk, "registry.view_person")
    assert view.org_ids == {tree.community_a1.pk, tree.subdistrict_b.pk, tree.community_b1.pk}
    assert not view.everything and not view.own_records
    change = scope_for(clerk, "registry.change_person")
    assert change.org_ids == {tree.community_a1.pk, tree.grid_a1.pk}
    delete = scope_for(clerk, "registry.delete_person")
    assert delete.own_records and not delete.org_ids and not delete.everything
    assert scope_for(clerk, "registry.add_person").nothing

    clerk.roles.add(make_role("registry.view_person", scope=DataScope.ALL))
    assert not scope_for(clerk, "registry.view_person").everything, "the grants are read once per request"
    del clerk.__dict__["_scope_cache"]
    assert scope_for(clerk, "registry.view_person").everything


def test_a_staff_page_reads_the_users_roles_once_whatever_its_menu_asks(tree):
    clerk = make_user(tree.community_a1, roles=[load_roles()["community-staff"]])
    client = client_for(clerk)
    client.get("/workbench/")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/workbench/").status_code == 200
    role_reads = [q["sql"] for q in queries.captured_queries if '"accounts_user_roles"' in q["sql"]]
    # One for the scopes of every permission the page asks about, one for the admin duty of the session check,
    # one for the role names shown in the header.
    assert len(role_reads) <= 3, role_reads
