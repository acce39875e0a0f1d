from django.utils.translation import gettext_lazy as _

from jiedao.parameters.registry import declare

MAX_ATTEMPTS = declare(
    "sms.max_attempts",
    _("短信最多尝试发送次数"),
    8,
    minimum=1,
    maximum=20,
    group=_("短信"),
    help_text=_(
        "每条短信最多尝试发送的次数（含发送中工作进程中断的尝试），超过后标记为发送失败、不再重试，"
        "并提醒系统管理员。"
    ),
)
