"""Home panel: open time limits whose due date is provisional (a year's holiday notice is not entered)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from jiedao.core.home import home_panel
from jiedao.core.scope import has_permission


@home_panel
def provisional_due_dates_panel(user):
    if not has_permission(user, "timelimits.view_clock"):
        return None
    from jiedao.timelimits.models import Clock
    from jiedao.timelimits.selectors import provisional_open_clocks

    count = provisional_open_clocks(Clock.objects.visible_to(user, "view")).count()
    if not count:
        return None
    return {
        "title": _("临时计算的办理期限"),
        "value": count,
        "text": _(
            "这些事项的到期时间涉及尚未录入国务院放假安排的年度，暂按周末和法定节日计算；"
            "放假安排录入后会自动重新计算，对外承诺期限时请留意。"
        ),
        "url": reverse("timelimits:clock_list") + "?provisional=1",
        "link_text": _("查看"),
    }
