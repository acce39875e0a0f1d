from django.utils.translation import gettext_lazy as _

from jiedao.core.menus import MenuItem, add

add("admin", MenuItem(_("工作日历"), "workcalendar:calendar", "workcalendar.view_calendarday", "calendar3"))
