from django.utils.translation import gettext_lazy as _

from jiedao.parameters.registry import declare

GROUP = _("预约办理")

DAYS_AHEAD = declare(
    "appointments.days_ahead",
    _("可提前预约的工作日数"),
    7,
    minimum=1,
    maximum=30,
    group=GROUP,
    help_text=_("群众可预约自下一个工作日起这么多个工作日内的时段（节假日不开放，调休上班日开放）。"),
)
NO_SHOW_LIMIT = declare(
    "appointments.no_show_limit",
    _("爽约次数上限"),
    3,
    minimum=1,
    maximum=20,
    group=GROUP,
    help_text=_("统计期内爽约达到这么多次的，暂停预约。"),
)
NO_SHOW_WINDOW_DAYS = declare(
    "appointments.no_show_window_days",
    _("爽约统计期（自然日）"),
    90,
    minimum=7,
    maximum=365,
    group=GROUP,
)
BAN_DAYS = declare(
    "appointments.ban_days",
    _("爽约后暂停预约（自然日）"),
    30,
    minimum=1,
    maximum=365,
    group=GROUP,
    help_text=_("自最近一次爽约的预约日起，在这么多天内不能预约。"),
)
GRACE_MINUTES = declare(
    "appointments.grace_minutes",
    _("签到宽限（分钟）"),
    15,
    minimum=0,
    maximum=120,
    group=GROUP,
    help_text=_("预约时段结束后这么多分钟仍未签到的，记为爽约。"),
)
REMINDER_HOUR = declare(
    "appointments.reminder_hour",
    _("预约提醒短信时间（时，北京时间）"),
    16,
    minimum=8,
    maximum=20,
    group=GROUP,
    help_text=_("每天（周末、节假日也一样）这个钟点起，短信提醒次日有预约的群众（每个预约只提醒一次）。"),
)
MAX_OPEN_BOOKINGS = declare(
    "appointments.max_open_bookings",
    _("同时未办理的预约个数上限"),
    3,
    minimum=1,
    maximum=10,
    group=GROUP,
    help_text=_(
        "一个群众同时最多可有这么多个未办理的预约（每个事项仍只能有一个）；已签到、已取消、已记爽约的不计。"
        "达到上限的，须先办理或取消一个才能再预约。"
    ),
)
