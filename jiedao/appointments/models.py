"""预约办理: the bookable time slots of a service hall and residents' bookings of them.

A hall is the org node that implements a service item (`ServiceItem.org`); its slots (`Slot`) are the same on
every working day of the project's calendar. A booking (`Appointment`) takes one place of one slot on one
date; a slot's places are counted under a lock of the slot's row (`services.appointment_book`).
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiedao.appointments.choices import AppointmentStatus
from jiedao.core.fields import EncryptedTextField
from jiedao.core.scope import ScopedModel


class Slot(ScopedModel):
    """A bookable time of a hall's working day (09:00–09:30) with its places. A slot taken out of the
    schedule is kept inactive, so the bookings made for it stay readable."""

    start = models.TimeField(_("开始时间"))
    end = models.TimeField(_("结束时间"))
    capacity = models.PositiveSmallIntegerField(_("可预约人数"))
    is_active = models.BooleanField(_("开放预约"), default=True)

    class Meta:
        verbose_name = _("预约时段")
        verbose_name_plural = _("预约时段")
        ordering = ["org_id", "start"]
        constraints = [
            models.UniqueConstraint(fields=["org", "start"], name="appointments_slot_start"),
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="appointments_slot_order"),
        ]

    def __str__(self) -> str:
        return f"{self.start:%H:%M}–{self.end:%H:%M}"

    @property
    def is_morning(self) -> bool:
        return self.start.hour < 12


class Appointment(ScopedModel):
    """One resident's booking of one slot on one date for one item. `org` is the hall (the item's
    implementing node). Name and phone are copied from the account: the booking stays readable for the hall
    when the resident closes the account."""

    item = models.ForeignKey(
        "catalog.ServiceItem", on_delete=models.PROTECT, related_name="+", verbose_name=_("事项")
    )
    slot = models.ForeignKey(
        Slot, on_delete=models.PROTECT, related_name="appointments", verbose_name=_("时段")
    )
    date = models.DateField(_("预约日期"))
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    resident = models.ForeignKey(
        "applications.Resident",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="appointments",
        verbose_name=_("群众账号"),
    )
    name = models.CharField(_("预约人"), max_length=50)
    phone = EncryptedTextField(_("手机号码"))
    phone_masked = models.CharField(_("手机号码"), max_length=20)
    id_number_masked = models.CharField(_("身份证件号码"), max_length=30, blank=True)
    code = models.CharField(_("预约码"), max_length=12, unique=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED
    )
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    # Set when the hall cancelled (停止预约), not the resident: the reason texted to them and shown on their page.
    cancelled_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("取消人"),
    )
    cancel_reason = models.CharField(_("取消原因"), max_length=200, blank=True)
    reminded_at = models.DateTimeField(_("提醒短信时间"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("签到时间"), null=True, blank=True)
    checked_in_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("签到人"),
    )
    no_show_at = models.DateTimeField(_("记为爽约时间"), null=True, blank=True)

    scope_owner_field = None  # booked by residents, not by staff

    class Meta:
        verbose_name = _("预约")
        verbose_name_plural = _("预约")
        ordering = ["starts_at", "id"]
        permissions = [
            ("checkin_appointment", _("预约签到")),
            ("cancel_appointment", _("取消群众的预约（停止预约）")),
        ]
        constraints = [
            # One open booking per resident and item, whatever reaches the database at the same moment.
            models.UniqueConstraint(
                fields=["resident", "item"],
                condition=Q(status=AppointmentStatus.BOOKED),
                name="appointments_one_open_per_item",
            )
        ]
        indexes = [
            models.Index(fields=["slot", "date"], name="appointments_slot_date"),
            models.Index(fields=["org", "date"], name="appointments_org_date"),
            models.Index(fields=["status", "ends_at"], name="appointments_status_ends"),
            models.Index(fields=["date", "status"], name="appointments_date_status"),
        ]

    def __str__(self) -> str:
        return f"{_('预约')} {self.code}"

    def cancellable_at(self, now: dt.datetime) -> bool:
        """Booked and its slot not begun at `now`: the resident may still cancel (`services.appointment_cancel`
        refuses otherwise)."""
        return self.status == AppointmentStatus.BOOKED and self.starts_at > now

    @property
    def cancellable(self) -> bool:
        return self.cancellable_at(timezone.now())


class DayClosure(ScopedModel):
    """停止预约 of a hall on one date (停电, 临时闭厅), the whole day or one slot of it (下午停电, 会议占用大厅:
    a row per slot): no booking is taken for the day, or the slot on that day, while the row exists. Written
    with the cancelling of those bookings (`services.appointments_cancel_day`, `appointments_cancel_slots`),
    so that the places freed are not booked again while the hall is closed. One model for both: the booking,
    the hall's page and 恢复预约 read the day's closures in one place."""

    date = models.DateField(_("停止预约日期"))
    # None: the whole day. A slot deleted from the schedule takes its closures along (it takes no booking).
    slot = models.ForeignKey(
        Slot,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="closures",
        verbose_name=_("停止预约的时段"),
    )
    reason = models.CharField(_("停止预约原因"), max_length=200)

    class Meta:
        verbose_name = _("停止预约")
        verbose_name_plural = _("停止预约")
        ordering = ["date", "org_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["org", "date"], condition=Q(slot__isnull=True), name="appointments_closure_day"
            ),
            models.UniqueConstraint(
                fields=["org", "date", "slot"],
                condition=Q(slot__isnull=False),
                name="appointments_closure_slot",
            ),
        ]

    def __str__(self) -> str:
        if self.slot_id is None:
            return f"{self.org} {self.date:%Y-%m-%d}"
        return f"{self.org} {self.date:%Y-%m-%d} {self.slot}"
