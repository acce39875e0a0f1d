from django.db import models
from django.utils.translation import gettext_lazy as _


class SchedulerLease(models.Model):
    """Who runs the periodic scheduler now. A second scheduler process waits for the lease to expire."""

    name = models.CharField(max_length=50, unique=True)
    holder = models.CharField(max_length=100)
    expires_at = models.DateTimeField()

    class Meta:
        verbose_name = _("调度租约")

    def __str__(self) -> str:
        return f"{self.name}: {self.holder}"


class ScheduledJobRun(models.Model):
    """When each periodic job was last enqueued, so restarts neither skip nor repeat a run."""

    job = models.CharField(max_length=100, unique=True)
    last_enqueued_at = models.DateTimeField()

    class Meta:
        verbose_name = _("定时任务记录")

    def __str__(self) -> str:
        return self.job


class SystemAlert(models.Model):
    """Something an administrator must act on (e.g. a year the holiday calendar does not cover)."""

    key = models.CharField(_("标识"), max_length=100, unique=True)
    message = models.CharField(_("内容"), max_length=500)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("解决时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("系统提醒")
        verbose_name_plural = _("系统提醒")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.message
