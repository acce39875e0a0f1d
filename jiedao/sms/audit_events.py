from django.utils.translation import gettext_lazy as _

from jiedao.audit.registry import detail_labels, event_type

SMS_QUEUED = event_type(4001, "sms.message.queued", _("短信入队"))
SMS_FAILED = event_type(4002, "sms.message.failed", _("短信发送失败"))

# A batch of texts queued together (a deadline sweep) is one event naming every message it stored.
detail_labels("sms", messages=_("短信编号"))
