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
QUIET_START = declare(
    "sms.quiet_start",
    _("提醒短信免打扰开始（时）"),
    22,
    minimum=0,
    maximum=23,
    group=_("短信"),
    help_text=_(
        "待办、到期等提醒短信在免打扰时段内产生的，留到时段结束时发送；验证码等即时短信不受影响。"
        "开始与结束相同表示不设免打扰。"
    ),
)
QUIET_END = declare(
    "sms.quiet_end",
    _("提醒短信免打扰结束（时）"),
    8,
    minimum=0,
    maximum=23,
    group=_("短信"),
)
