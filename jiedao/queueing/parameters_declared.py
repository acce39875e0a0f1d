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
