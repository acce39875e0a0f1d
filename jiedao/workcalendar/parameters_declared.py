from django.utils.translation import gettext_lazy as _

from jiedao.parameters.registry import declare

NEXT_YEAR_ALERT_DAYS = declare(
    "workcalendar.next_year_alert_days",
    _("提前多少天提醒录入下一年度法定节假日安排"),
    45,
    minimum=0,
    maximum=366,
    group=_("工作日历"),
    help_text=_("下一年度尚无节假日数据时，在年底前这么多天起提醒系统管理员（0 为不提前提醒）。"),
)
