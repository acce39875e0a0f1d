from django.utils.translation import gettext_lazy as _

from jiedao.core.menus import MenuItem, add

add("hall", MenuItem(_("今日预约"), "appointments:today", "appointments.view_appointment", "calendar-check"))
add("hall", MenuItem(_("预约时段"), "appointments:schedule", "appointments.change_slot", "clock"))
add(
    "hall",
    MenuItem(_("停止预约"), "appointments:cancel_day", "appointments.cancel_appointment", "calendar-x"),
)
