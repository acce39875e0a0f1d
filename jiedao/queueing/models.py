"""排队叫号: the ticket queue of a service hall. A hall (the org node of its service center) has business
lines (`QueueLine`, 社会救助 A, 户籍 B …), each served by some of the hall's service windows; a visitor takes a
ticket (`Ticket`) of a line at the kiosk, numbered per line and day (A001, A002 …), and a window calls the next
waiting ticket of the lines it serves. Numbers are given under a lock of the line's row and tickets are called
under a lock of the ticket's row (`services`)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiedao.core.fields import EncryptedTextField
from jiedao.core.scope import ScopeAware, ScopedModel, ScopedQuerySet
from jiedao.queueing.choices import TicketStatus


class QueueLine(ScopedModel):
    """业务队列 of a hall: its tickets are called by the windows listed in `windows` (of the same hall); a
    booking of one of its `items` takes its ticket here."""

    name = models.CharField(_("业务队列名称"), max_length=50, help_text=_("如“社会救助”"))
    prefix = models.CharField(_("号码字头"), max_length=1, help_text=_("一个大写字母，如 A，号码显示为 A001"))
    windows = models.ManyToManyField(
        "applications.ServiceWindow", blank=True, related_name="queue_lines", verbose_name=_("叫号窗口")
    )
    # The 事项 (of the hall) the line serves: a booking of one of them is queued here, with priority. None set:
    # the line takes any booking of the hall, as before lines had items.
    items = models.ManyToManyField(
        "catalog.ServiceItem", blank=True, related_name="queue_lines", verbose_name=_("办理事项")
    )
    is_active = models.BooleanField(_("开放取号"), default=True)

    scope_owner_field = None

    class Meta:
        verbose_name = _("业务队列")
        verbose_name_plural = _("业务队列")
        ordering = ["org_id", "prefix"]
        constraints = [models.UniqueConstraint(fields=["org", "prefix"], name="queueing_line_prefix")]

    def __str__(self) -> str:
        return f"{self.prefix} {self.name}"


class Ticket(ScopedModel):
    """One number taken at the kiosk. `org` is the line's hall; `token` is the unguessable part of the ticket
    page's address, the visitor's only way back to it. The phone, given for the 临近叫号 text only, is kept
    encrypted, its masked copy for the window."""

    line = models.ForeignKey(
        QueueLine, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("业务队列")
    )
    date = models.DateField(_("取号日期"))
    number = models.PositiveIntegerField(_("号码"))
    code = models.CharField(_("排队号"), max_length=8)
    token = models.CharField(max_length=32, unique=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=TicketStatus.choices, default=TicketStatus.WAITING
    )
    priority = models.BooleanField(_("预约优先"), default=False)
    appointment = models.OneToOneField(
        "appointments.Appointment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="queue_ticket",
        verbose_name=_("预约"),
    )
    phone = EncryptedTextField(_("手机号码"), blank=True)
    phone_masked = models.CharField(_("手机号码"), max_length=20, blank=True)
    taken_at = models.DateTimeField(_("取号时间"))
    # When it joined the queue: taken, or put back at the end by 重新排队. Waiting tickets are called in this order.
    queued_at = models.DateTimeField(_("排队时间"))
    called_at = models.DateTimeField(_("叫号时间"), null=True, blank=True)  # the first call: the wait ends
    # The last call or 重呼: the display shows the latest first.
    announced_at = models.DateTimeField(_("最近叫号时间"), null=True, blank=True)
    called_window = models.ForeignKey(
        "applications.ServiceWindow",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("叫号窗口"),
    )
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("叫号人"),
    )
    recall_count = models.PositiveSmallIntegerField(_("重呼次数"), default=0)
    finished_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    near_texted_at = models.DateTimeField(_("临近叫号短信时间"), null=True, blank=True)

    scope_owner_field = None  # taken by visitors, not by staff

    class Meta:
        verbose_name = _("排队号")
        verbose_name_plural = _("排队号")
        ordering = ["date", "line_id", "number"]
        permissions = [("call_ticket", _("窗口叫号"))]
        constraints = [
            models.UniqueConstraint(fields=["line", "date", "number"], name="queueing_ticket_number"),
        ]
        indexes = [
            models.Index(
                fields=["line", "date", "status", "-priority", "queued_at"], name="queueing_ticket_waiting"
            ),
            models.Index(fields=["org", "date", "status"], name="queueing_ticket_org_date"),
            models.Index(fields=["called_window", "date", "status"], name="queueing_ticket_window"),
            # The display, every 4 s: the hall's latest calls of the day.
            models.Index(fields=["org", "date", "-announced_at"], name="queueing_ticket_display"),
        ]

    def __str__(self) -> str:
        return self.code


class KioskDevice(ScopeAware, models.Model):
    """取号机: a terminal at a hall where visitors take numbers, registered (登记) by a single-use link shown to
    the hall's queue administrator instead of being a public page anyone anywhere could take numbers from.
    The device keeps a random token in a cookie; only hashes are kept, of the link's token and the device's.
    The cookie opens the kiosk of its hall and nothing else (the same shape as the 评价器 pads of
    `applications.PadDevice`, which belong to a window rather than a hall)."""

    org = models.ForeignKey(
        "orgs.OrgUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("服务大厅")
    )
    name = models.CharField(_("取号机名称"), max_length=50, blank=True, help_text=_("如“一楼入口”"))
    link_hash = models.CharField(max_length=64, unique=True)
    link_expires_at = models.DateTimeField(_("登记链接有效期至"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("登记人"),
    )
    created_at = models.DateTimeField(_("生成时间"))
    device_hash = models.CharField(max_length=64, unique=True, null=True)
    paired_at = models.DateTimeField(_("登记时间"), null=True)
    last_seen_at = models.DateTimeField(_("最近使用"), null=True)
    revoked_at = models.DateTimeField(_("停用时间"), null=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("停用人"),
    )

    scope_owner_field = None
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("取号机")
        verbose_name_plural = _("取号机")

    def __str__(self) -> str:
        return self.name or f"#{self.pk}"
