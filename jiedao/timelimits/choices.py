from django.db import models
from django.utils.translation import gettext_lazy as _


class ClockStatus(models.TextChoices):
    GREEN = "green", _("正常")
    YELLOW = "yellow", _("预警")
    RED = "red", _("超期")
    PAUSED = "paused", _("暂停")
    STOPPED = "stopped", _("已结束")


OPEN_STATUSES = (ClockStatus.GREEN, ClockStatus.YELLOW, ClockStatus.RED, ClockStatus.PAUSED)
RUNNING_STATUSES = (ClockStatus.GREEN, ClockStatus.YELLOW, ClockStatus.RED)


class ClockEventKind(models.TextChoices):
    STARTED = "started", _("开始计时")
    PAUSED = "paused", _("暂停计时")
    RESUMED = "resumed", _("恢复计时")
    EXTENDED = "extended", _("延长时限")
    STOPPED = "stopped", _("结束计时")
    STATUS_CHANGED = "status_changed", _("状态变化")
    RECALCULATED = "recalculated", _("按工作日历重新计算")
