import pytest

from jiedao.audit.models import AuditEvent
from jiedao.core.exceptions import PermissionDenied, ValidationFailed
from jiedao.core.testing import make_user
from jiedao.parameters.models import SystemParameter
from jiedao.parameters.registry import MANAGE_SECURITY_POLICY, MANAGE_SYSTEM, VIEW
from jiedao.parameters.services import get_parameter, parameter_reset, parameter_set

pytestmark = pytest.mark.django_db

KEY = "login.lockout_threshold"  # default 5, between 3 and 20


@pytest.fixture
def manager(tree):
    return make_user(tree.district, VIEW, MANAGE_SYSTEM, MANAGE_SECURITY_POLICY)


def changes():
    return AuditEvent.objects.filter(event_name="parameters.parameter.changed")


def test_valid_change_takes_effect_and_is_audited_with_before_and_after(manager):
    assert get_parameter(KEY) == 5  # also fills the cache
    assert parameter_set(actor=manager, key=KEY, raw_value="7") == 7
    assert get_parameter(KEY) == 7
    event = changes().get()
    assert (event.before, event.after, event.actor, event.message) == ({KEY: 5}, {KEY: 7}, manager, KEY)
    parameter_set(actor=manager, key=KEY, raw_value=9)
    assert changes().order_by("-id").first().before == {KEY: 7}


@pytest.mark.parametrize(
    ("raw", "message"), [("2", "不能小于 3。"), ("abc", "请输入数字。"), ("21", "不能大于 20。")]
)
def test_invalid_value_is_refused_and_the_old_value_stays(manager, raw, message):
    parameter_set(actor=manager, key=KEY, raw_value="6")
    with pytest.raises(ValidationFailed) as caught:
        parameter_set(actor=manager, key=KEY, raw_value=raw)
    assert caught.value.errors == {KEY: [message]}
    assert get_parameter(KEY) == 6
    assert SystemParameter.objects.get(key=KEY).value == 6
    assert changes().count() == 1


def test_setting_the_current_value_again_writes_nothing(manager):
    parameter_set(actor=manager, key=KEY, raw_value="6")
    parameter_set(actor=manager, key=KEY, raw_value="6")
    assert changes().count() == 1


def test_unknown_key(manager):
    with pytest.raises(ValidationFailed) as caught:
        parameter_set(actor=manager, key="no.such", raw_value="1")
    assert caught.value.code == "unknown_parameter"


@pytest.mark.parametrize("perms", [(), (VIEW,), (VIEW, MANAGE_SYSTEM)])
def test_security_policy_parameter_needs_the_security_permission_not_the_system_one(tree, perms):
    user = make_user(tree.district, *perms)
    with pytest.raises(PermissionDenied):
        parameter_set(actor=user, key=KEY, raw_value="7")
    assert get_parameter(KEY) == 5
    assert not changes().exists()


def test_security_policy_parameter_needs_the_security_permission(tree, declared):
    system_admin = make_user(tree.district, VIEW, MANAGE_SYSTEM)
    with pytest.raises(PermissionDenied):
        parameter_set(actor=system_admin, key="test.secure", raw_value="4")
    security_admin = make_user(tree.district, VIEW, MANAGE_SECURITY_POLICY)
    assert parameter_set(actor=security_admin, key="test.secure", raw_value="4") == 4
    assert get_parameter("test.secure") == 4


def test_reset_goes_back_to_the_default_and_is_audited(manager):
    parameter_set(actor=manager, key=KEY, raw_value="7")
    assert parameter_reset(actor=manager, key=KEY) == 5
    assert get_parameter(KEY) == 5
    assert not SystemParameter.objects.filter(key=KEY).exists()
    last = changes().order_by("-id").first()
    assert (last.before, last.after) == ({KEY: 7}, {KEY: 5})
    parameter_reset(actor=manager, key=KEY)  # nothing stored: nothing to do
    assert changes().count() == 2


def test_other_kinds(manager, declared):
    assert parameter_set(actor=manager, key="test.flag", raw_value="on") is True
    assert get_parameter("test.flag") is True
    assert parameter_set(actor=manager, key="test.ratio", raw_value="0.75") == 0.75
    assert parameter_set(actor=manager, key="test.title", raw_value=" 明湖 ") == "明湖"
    assert get_parameter("test.title") == "明湖"
