from django.utils.translation import gettext_lazy as _

from jiedao.parameters.registry import declare

PERMIT_REMINDER_DAYS = declare(
    "registry.permit_reminder_days",
    _("居住证到期提前提醒天数"),
    30,
    minimum=1,
    maximum=180,
    group=_("人口信息"),
    help_text=_("流动人口居住证在这么多天内到期时，每日提醒任务将其列入到期提醒（每个有效期只提醒一次）。"),
)

VISIT_INTERVAL_DAYS = declare(
    "registry.visit_interval_days",
    _("房屋入户核查周期（天）"),
    180,
    minimum=7,
    maximum=1095,
    group=_("人口信息"),
    help_text=_("房屋最近一次入户核查距今超过这么多天（或从未核查、上次无人应门）时，列入“待核查房屋”。"),
)
