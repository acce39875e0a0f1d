from django.utils.translation import gettext_lazy as _

from jiedao.audit.registry import event_type

AUDIT_LOG_VIEWED = event_type(9001, "audit.log.viewed", _("查看审计日志"))
AUDIT_LOG_EXPORTED = event_type(9002, "audit.log.exported", _("导出审计日志"))
AUDIT_CHAIN_VERIFIED = event_type(9003, "audit.chain.verified", _("校验审计链"))
AUDIT_ARCHIVED = event_type(9004, "audit.log.archived", _("审计日志归档"))
