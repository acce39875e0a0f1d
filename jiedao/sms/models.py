from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from jiedao.core.fields import EncryptedTextField
from jiedao.core.scope import ScopedModel


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("待发送")
    SENDING = "sending", _("发送中")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")


class OutboundMessage(ScopedModel):
    """One SMS, stored before any attempt to send it (the outbox).

    `uuid` travels to the gateway as the client message id, so a resend after a worker died mid-send is
    recognised by the gateway instead of reaching the phone twice; `dedupe_key` stops the platform from
    queueing the same notice twice.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    dedupe_key = models.CharField(_("去重键"), max_length=120, unique=True, null=True, blank=True)
    phone = EncryptedTextField(_("手机号码"))
    phone_masked = models.CharField(_("手机号码"), max_length=20)
    body = models.TextField(_("内容"))
    purpose = models.CharField(_("用途"), max_length=60, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=MessageStatus.choices, default=MessageStatus.QUEUED, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"), null=True, blank=True, db_index=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(_("最近错误"), max_length=300, blank=True)
    gateway_message_id = models.CharField(_("网关消息编号"), max_length=100, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("短信")
        verbose_name_plural = _("短信发件箱")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.phone_masked} {self.get_status_display()}"
