from django.utils.translation import gettext_lazy as _

from jiedao.parameters.registry import declare

GROUP = _("排队叫号")

DAILY_CAP = declare(
    "queueing.daily_cap",
    _("每个业务队列每天可取号数"),
    0,
    minimum=0,
    maximum=999,
    group=GROUP,
    help_text=_("每个业务队列每天最多发放这么多个号（预约优先号也计入）；0 表示不限。"),
)
TAKE_FROM = declare(
    "queueing.take_from",
    _("取号开始时间（时，北京时间）"),
    8,
    minimum=0,
    maximum=23,
    group=GROUP,
    help_text=_("每个工作日从这个钟点起可以取号。"),
)
TAKE_UNTIL = declare(
    "queueing.take_until",
    _("取号截止时间（时，北京时间）"),
    17,
    minimum=1,
    maximum=24,
    group=GROUP,
    help_text=_("每个工作日到这个钟点停止取号（如 17：16:59 前可以取号）。"),
)
PRIORITY_MINUTES_BEFORE = declare(
    "queueing.priority_minutes_before",
    _("预约优先提前取号时间（分钟）"),
    30,
    minimum=0,
    maximum=1440,
    group=GROUP,
    help_text=_(
        "凭预约码取号，从预约时段开始前这么多分钟起才优先叫号；更早取的号按普通号排队（仍记为该预约的号）。"
        "时段结束超过预约办理的“签到宽限”后取的号，同样按普通号排队。"
    ),
)
TAKES_PER_HOUR = declare(
    "queueing.takes_per_hour",
    _("每个地址每小时可取号数"),
    600,
    minimum=1,
    maximum=10000,
    group=GROUP,
    help_text=_(
        "同一网络地址（如大厅的取号机）一小时内最多取这么多个号，超过的请稍后再取；防止他人远程把号取光。"
        "繁忙大厅的取号机每小时取号数百个。"
    ),
)
