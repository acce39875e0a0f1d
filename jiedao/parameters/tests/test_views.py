import pytest
from django.urls import reverse

from jiedao.audit.models import AuditEvent
from jiedao.core.testing import client_for, make_user
from jiedao.parameters.registry import MANAGE_SECURITY_POLICY, MANAGE_SYSTEM, VIEW
from jiedao.parameters.services import get_parameter, parameter_set

pytestmark = pytest.mark.django_db

KEY = "password.min_length"  # default 8, between 8 and 64
LIST = reverse("parameters:parameter_list")
EDIT = reverse("parameters:parameter_edit", args=[KEY])


@pytest.fixture
def manager(tree):
    return make_user(tree.district, VIEW, MANAGE_SYSTEM, MANAGE_SECURITY_POLICY)


def changes():
    return AuditEvent.objects.filter(event_name="parameters.parameter.changed")


def test_list_shows_every_parameter_grouped_with_value_default_and_help(manager, declared):
    parameter_set(actor=manager, key=KEY, raw_value="12")
    response = client_for(manager).get(LIST)
    assert response.status_code == 200
    sections = {s["group"]: s["rows"] for s in response.context["sections"]}
    assert set(sections) >= {"登录与密码策略", "测试分组"}
    row = next(r for r in sections["登录与密码策略"] if r["spec"].key == KEY)
    assert (row["value"], row["default"], row["overridden"], row["can_edit"]) == ("12", "8", True, True)
    flag = next(r for r in sections["测试分组"] if r["spec"].key == "test.flag")
    assert flag["value"] == "否"
    content = response.content.decode()
    assert "密码最小长度" in content and EDIT in content
    assert "系统参数" in content  # menu entry
    system_admin = make_user(manager.org, VIEW, MANAGE_SYSTEM)
    system_view = client_for(system_admin).get(LIST)
    rows = {r["spec"].key: r for s in system_view.context["sections"] for r in s["rows"]}
    assert rows["test.secure"]["can_edit"] is False  # security policy: not the system administrator's
    assert rows["test.flag"]["can_edit"] is True
    assert reverse("parameters:parameter_edit", args=["test.secure"]) not in system_view.content.decode()


def test_list_needs_a_parameters_permission(tree):
    assert client_for(make_user(tree.district)).get(LIST).status_code == 403
    assert client_for(make_user(tree.district, "orgs.view_orgunit")).get(LIST).status_code == 403
    assert client_for(make_user(tree.district, MANAGE_SYSTEM)).get(LIST).status_code == 200


def test_edit_is_forbidden_without_the_manage_permission(tree):
    viewer = make_user(tree.district, VIEW)
    client = client_for(viewer)
    assert client.get(LIST).status_code == 200
    assert EDIT not in client.get(LIST).content.decode()
    assert client.get(EDIT).status_code == 403
    assert client.post(EDIT, {KEY: "12"}).status_code == 403
    assert client.post(reverse("parameters:parameter_reset", args=[KEY])).status_code == 403
    assert get_parameter(KEY) == 8
    assert not changes().exists()


def test_unknown_parameter_is_404(manager):
    assert client_for(manager).get(reverse("parameters:parameter_edit", args=["no.such"])).status_code == 404


@pytest.mark.parametrize(
    ("raw", "message"), [("6", "不能小于 8。"), ("abc", "请输入数字。"), ("", "请输入数字。")]
)
def test_invalid_value_shows_the_chinese_error_next_to_the_field_and_keeps_the_old_value(
    manager, raw, message
):
    parameter_set(actor=manager, key=KEY, raw_value="10")
    response = client_for(manager).post(EDIT, {KEY: raw})
    assert response.status_code == 200
    assert response.context["form"].errors[KEY] == [message]
    assert message in response.content.decode()
    assert get_parameter(KEY) == 10
    assert changes().count() == 1


def test_valid_change_takes_effect_and_is_audited(manager):
    client = client_for(manager)
    form = client.get(EDIT).context["form"]
    assert form.initial[KEY] == 8
    response = client.post(EDIT, {KEY: "12"})
    assert response.status_code == 302 and response.url == LIST
    assert get_parameter(KEY) == 12
    event = changes().get()
    assert (event.before, event.after, event.actor) == ({KEY: 8}, {KEY: 12}, manager)
    assert "“密码最小长度”已设为 12。" in client.get(LIST).content.decode()


def test_bool_parameter_through_a_checkbox(manager, declared):
    client = client_for(manager)
    url = reverse("parameters:parameter_edit", args=["test.flag"])
    assert client.post(url, {"test.flag": "on"}).status_code == 302
    assert get_parameter("test.flag") is True
    assert client.post(url, {}).status_code == 302  # an unticked box sends nothing
    assert get_parameter("test.flag") is False


def test_reset_to_default(manager):
    client = client_for(manager)
    client.post(EDIT, {KEY: "12"})
    assert "恢复默认值" in client.get(EDIT).content.decode()
    response = client.post(reverse("parameters:parameter_reset", args=[KEY]))
    assert response.status_code == 302
    assert get_parameter(KEY) == 8
    assert changes().count() == 2


def test_security_policy_parameter_is_edited_by_the_security_admin_only(tree, declared):
    url = reverse("parameters:parameter_edit", args=["test.secure"])
    system_admin = make_user(tree.district, VIEW, MANAGE_SYSTEM)
    assert client_for(system_admin).post(url, {"test.secure": "4"}).status_code == 403
    security_admin = make_user(tree.district, VIEW, MANAGE_SECURITY_POLICY)
    assert client_for(security_admin).post(url, {"test.secure": "4"}).status_code == 302
    assert get_parameter("test.secure") == 4


def test_demo_admin_roles_read_the_parameters_page(tree):
    from jiedao.core.demo import load_roles

    roles = load_roles()
    for code in ("system-admin", "security-admin"):
        user = make_user(tree.district, roles=[roles[code]])
        assert client_for(user).get(LIST).status_code == 200, code
    clerk = make_user(tree.community_a1, roles=[roles["community-staff"]])
    assert client_for(clerk).get(LIST).status_code == 403
