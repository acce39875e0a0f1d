from django.utils.translation import gettext_lazy as _

from jiedao.parameters.registry import declare

GROUP = _("流程引擎")

SMS_NEW_TASK = declare(
    "workflow.sms_new_task",
    _("新待办短信提醒"),
    True,
    kind=bool,
    group=GROUP,
    help_text=_(
        "流程到达某人的环节时，短信告知办理人（已指定办理人时只告知其本人；由一组人认领的环节，组内不超过 "
        "10 人时告知每一位）。本人可在“个人设置”中关闭。"
    ),
)
SMS_DUE = declare(
    "workflow.sms_due",
    _("待办预警、超期短信提醒"),
    True,
    kind=bool,
    group=GROUP,
    help_text=_(
        "待办进入预警（黄灯）和超期（红灯）时，短信告知办理人，每种各一次。本人可在“个人设置”中关闭。"
    ),
)
