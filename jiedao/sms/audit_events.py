from django.utils.translation import gettext_lazy as _

from jiedao.audit.registry import event_type

SMS_QUEUED = event_type(4001, "sms.message.queued", _("短信入队"))
SMS_FAILED = event_type(4002, "sms.message.failed", _("短信发送失败"))
