from django.utils.translation import gettext_lazy as _

from jiedao.core.menus import MenuItem, add

add("workbench", MenuItem(_("时限监控"), "timelimits:clock_list", "timelimits.view_clock", "stopwatch"))
add(
    "admin", MenuItem(_("时限预警阈值"), "timelimits:policy_list", "timelimits.change_clockpolicy", "sliders")
)
