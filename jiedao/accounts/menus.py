from django.utils.translation import gettext_lazy as _

from jiedao.core.menus import MenuItem, add

add("admin", MenuItem(_("用户管理"), "accounts:user_list", "accounts.view_user", "people"))
add("security", MenuItem(_("角色与权限"), "accounts:role_list", "accounts.view_role", "shield-lock"))
add(
    "security",
    MenuItem(_("用户角色分配"), "accounts:user_list", "accounts.assign_roles_user", "person-badge"),
)
add(
    "audit",
    MenuItem(_("登录日志"), "accounts:loginattempt_list", "accounts.view_loginattempt", "box-arrow-in-right"),
)
