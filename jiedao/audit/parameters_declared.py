from django.utils.translation import gettext_lazy as _

from jiedao.audit.services import MIN_RETENTION_DAYS
from jiedao.parameters.registry import declare

GROUP = _("安全审计")
RETENTION_DAYS = declare(
    "audit.retention_days",
    _("审计日志在线保留天数"),
    MIN_RETENTION_DAYS,
    minimum=MIN_RETENTION_DAYS,
    maximum=3650,
    group=GROUP,
    help_text=_("超过保留期的审计日志每日归档到文件（不删除）。依法不少于 180 天（六个月）。"),
)
