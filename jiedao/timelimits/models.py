from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiedao.core.i18n import shown
from jiedao.core.scope import ScopedModel
from jiedao.timelimits.choices import ClockEventKind, ClockStatus
from jiedao.workcalendar.choices import CountingRule

DEFAULT_YELLOW_RATIO = Decimal("0.80")


class Clock(ScopedModel):
    """The time limit of one record (an application, a workflow task, a petition…), attached generically.

    `due_at` and `yellow_at` are always derived from the start, the limit, the yellow ratio taken from the
    policy when the clock started, and the units added since (extensions and paused spans), so they can be
    recomputed exactly — and are, for open clocks, when the working-day calendar changes. `due_provisional`
    says they reach a year whose holiday notice is not entered yet. `status` is kept current by the services
    and by the periodic sweep.
    """

    content_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, related_name="+", verbose_name=_("对象类型")
    )
    object_id = models.CharField(_("对象编号"), max_length=64)
    target = GenericForeignKey("content_type", "object_id")
    kind = models.CharField(_("事项类型"), max_length=64, db_index=True)
    rule = models.CharField(_("计算规则"), max_length=30, choices=CountingRule.choices)
    limit = models.PositiveIntegerField(_("时限"), validators=[MinValueValidator(1)])
    yellow_ratio = models.DecimalField(
        _("预警比例"), max_digits=3, decimal_places=2, default=DEFAULT_YELLOW_RATIO
    )
    started_at = models.DateTimeField(_("开始时间"))
    due_at = models.DateTimeField(_("到期时间"))
    yellow_at = models.DateTimeField(_("预警时间"))
    paused_at = models.DateTimeField(_("暂停时间"), null=True, blank=True)
    stopped_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    extended_units = models.PositiveIntegerField(_("已延长"), default=0)
    paused_days = models.PositiveIntegerField(_("暂停顺延天数"), default=0)
    paused_time = models.DurationField(_("暂停顺延时长"), default=dt.timedelta(0))
    overdue_at_stop = models.BooleanField(_("结束时已超期"), default=False)
    due_provisional = models.BooleanField(
        _("到期时间为临时计算"),
        default=False,
        help_text=_("计时涉及尚未录入国务院放假安排的年度，录入后自动重新计算。"),
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=ClockStatus.choices, default=ClockStatus.GREEN
    )

    class Meta:
        verbose_name = _("时限计时")
        verbose_name_plural = _("时限计时")
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id"], name="timelimits_clock_one_per_target"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "due_at"], name="timelimits_status_due"),
            models.Index(fields=["status", "yellow_at"], name="timelimits_status_yellow"),
            models.Index(fields=["org", "status"], name="timelimits_org_status"),
            # The monitoring page's order (due date, then id) over every clock of the years
            # (?status=all): its pages, the last one read backwards, without sorting them all.
            models.Index(fields=["due_at", "id"], name="timelimits_due_order"),
        ]

    def __str__(self) -> str:
        from jiedao.timelimits.registry import kind_label

        return f"{kind_label(self.kind)} #{self.object_id}"

    @property
    def limit_display(self) -> str:
        return f"{self.limit + self.extended_units} {self.get_rule_display()}"


class ClockEvent(models.Model):
    """What happened to a clock, in order: started, paused, resumed, extended, stopped, status changes."""

    clock = models.ForeignKey(Clock, on_delete=models.CASCADE, related_name="events", verbose_name=_("计时"))
    kind = models.CharField(_("事件"), max_length=20, choices=ClockEventKind.choices)
    at = models.DateTimeField(_("时间"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("操作人"),
    )
    reason = models.CharField(_("原因"), max_length=500, blank=True)
    # A reason the platform words (补正, 工作日历调整…) as msgid and parameters, shown in the reader's
    # language; empty for what a person typed and for rows written before it existed (`core.i18n.shown`).
    reason_message = models.JSONField(_("系统原因"), default=dict, blank=True)
    status = models.CharField(_("事件后状态"), max_length=10, choices=ClockStatus.choices, blank=True)
    before_due = models.DateTimeField(_("原到期时间"), null=True, blank=True)
    after_due = models.DateTimeField(_("新到期时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("计时事件")
        verbose_name_plural = _("计时事件")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"

    @property
    def reason_text(self) -> str:
        return shown(self.reason_message, self.reason)


class ClockPolicy(models.Model):
    """The yellow (warning) point of one kind of clock, as a share of the limit. Default 80%."""

    kind = models.CharField(_("事项类型"), max_length=64, unique=True)
    label = models.CharField(_("名称"), max_length=100, blank=True)
    yellow_ratio = models.DecimalField(
        _("预警比例"),
        max_digits=3,
        decimal_places=2,
        default=DEFAULT_YELLOW_RATIO,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("0.99"))],
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("修改人"),
    )
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("时限预警阈值")
        verbose_name_plural = _("时限预警阈值")
        ordering = ["kind"]

    def __str__(self) -> str:
        return f"{self.label or self.kind} {self.yellow_ratio:.0%}"
