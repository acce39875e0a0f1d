from django.utils.translation import gettext_lazy as _

from jiedao.audit.registry import detail_labels, event_type

LOGIN_SUCCEEDED = event_type(1001, "accounts.login.succeeded", _("登录成功"))
LOGIN_FAILED = event_type(1002, "accounts.login.failed", _("登录失败"))
LOGOUT = event_type(1003, "accounts.logout", _("退出登录"))
PASSWORD_CHANGED = event_type(1004, "accounts.password.changed", _("修改密码"))
TWO_FACTOR_ENROLLED = event_type(1005, "accounts.two_factor.enrolled", _("绑定动态口令"))
TOKEN_ISSUED = event_type(1006, "accounts.token.issued", _("签发接口令牌"))
SETTINGS_CHANGED = event_type(1007, "accounts.settings.changed", _("修改个人设置"))
USER_CREATED = event_type(1011, "accounts.user.created", _("新建用户"))
USER_CHANGED = event_type(1012, "accounts.user.changed", _("修改用户"))
USER_DEACTIVATED = event_type(1013, "accounts.user.deactivated", _("停用用户"))
USER_UNLOCKED = event_type(1014, "accounts.user.unlocked", _("解除锁定"))
USER_PASSWORD_RESET = event_type(1015, "accounts.user.password_reset", _("重置用户密码"))
USER_HANDED_OVER = event_type(1016, "accounts.user.handed_over", _("工作交接"))
ROLES_ASSIGNED = event_type(1021, "accounts.user.roles_assigned", _("分配角色"))
ROLE_CREATED = event_type(1022, "accounts.role.created", _("新建角色"))
ROLE_CHANGED = event_type(1023, "accounts.role.changed", _("修改角色及权限"))

detail_labels(
    "accounts",
    roles=_("角色"),
    task_sms=_("接收待办短信提醒"),
    successor=_("接替人"),
    moved=_("交接的工作"),
    ended=_("取消的流程代理设置"),
    left=_("未能交接的工作数"),
)
