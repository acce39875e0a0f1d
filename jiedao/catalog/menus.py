from django.utils.translation import gettext_lazy as _

from jiedao.core.menus import MenuItem, add, menu_group

menu_group("hall", _("政务服务"), 15)
add("hall", MenuItem(_("服务事项"), "catalog:item_list", "catalog.view_serviceitem", "journal-text"))
add("hall", MenuItem(_("公告管理"), "catalog:announcement_list", "catalog.view_announcement", "megaphone"))
