from django.utils.translation import gettext_lazy as _

from jiedao.core.menus import MenuItem, add, menu_group

menu_group("hall", _("政务服务"), 15)
add("hall", MenuItem(_("窗口叫号"), "queueing:my_window", "queueing.call_ticket", "megaphone"))
add("hall", MenuItem(_("排队叫号设置"), "queueing:lines", "queueing.view_queueline", "list-ol"))
