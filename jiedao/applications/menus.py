from django.utils.translation import gettext_lazy as _

from jiedao.core.menus import MenuItem, add, menu_group

menu_group("hall", _("政务服务"), 15)
add("hall", MenuItem(_("办件管理"), "applications:staff_list", "applications.view_application", "inbox"))
add("hall", MenuItem(_("窗口收件"), "applications:walk_in", "applications.add_application", "person-plus"))
add(
    "hall",
    MenuItem(
        _("群众账号换绑手机"), "applications:window_resident_find", "applications.change_resident", "phone"
    ),
)
add("hall", MenuItem(_("首问登记"), "applications:inquiry_list", "applications.view_inquiry", "chat-dots"))
add(
    "hall",
    MenuItem(_("代办服务"), "applications:agency_list", "applications.view_agencyassignment", "briefcase"),
)
add(
    "hall",
    MenuItem(_("办件统计"), "applications:statistics", "applications.view_application", "bar-chart"),
)
add("hall", MenuItem(_("好差评统计"), "applications:rating_stats", "applications.view_rating", "star"))
add(
    "hall",
    MenuItem(_("差评整改"), "applications:rectification_list", "applications.view_rectification", "tools"),
)
add("hall", MenuItem(_("异议处理"), "applications:objection_list", "applications.view_objectiontask", "flag"))
add(
    "hall",
    MenuItem(_("服务窗口"), "applications:window_list", "applications.view_servicewindow", "window"),
)
