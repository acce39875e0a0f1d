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
