from django.db import models
from django.utils.translation import gettext_lazy as _


class TicketStatus(models.TextChoices):
    WAITING = "waiting", _("等候中")
    CALLED = "called", _("已叫号")
    DONE = "done", _("已办结")
    SKIPPED = "skipped", _("已过号")
    CANCELLED = "cancelled", _("已取消")
    EXPIRED = "expired", _("已失效")  # still waiting when the day ended (`services.days_close`)
