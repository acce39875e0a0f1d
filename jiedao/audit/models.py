from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiedao.audit import db_guards  # noqa: F401 - connects the database guards' signal handlers
from jiedao.core.scope import ScopeAware, ScopedQuerySet


class AppendOnlyError(RuntimeError):
    pass


class AuditEvent(ScopeAware, models.Model):
    """One audited action. Append-only; `hash` chains it to the previous event (SM3)."""

    scope_owner_field = None

    event_code = models.PositiveIntegerField(_("事件编号"), db_index=True)
    event_name = models.CharField(_("事件类型"), max_length=80, db_index=True)
    created_at = models.DateTimeField(_("时间"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("操作人"),
    )
    actor_name = models.CharField(_("操作人账号"), max_length=150, blank=True, db_index=True)
    ip = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    user_agent = models.CharField(_("客户端"), max_length=300, blank=True)
    request_id = models.CharField(_("请求编号"), max_length=64, blank=True)
    # No database constraint: the log keeps the id of a node even after the node is deleted.
    org = models.ForeignKey(
        "orgs.OrgUnit",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("组织"),
    )
    target_type = models.CharField(_("对象类型"), max_length=80, blank=True, db_index=True)
    target_id = models.CharField(_("对象编号"), max_length=64, blank=True, db_index=True)
    target_repr = models.CharField(_("对象"), max_length=200, blank=True)
    success = models.BooleanField(_("成功"), default=True)
    message = models.CharField(_("说明"), max_length=500, blank=True)
    before = models.JSONField(_("变更前"), null=True, blank=True)
    after = models.JSONField(_("变更后"), null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计事件")
        verbose_name_plural = _("审计事件")
        ordering = ["-id"]
        permissions = [("export_auditevent", _("可导出审计日志")), ("verify_auditevent", _("可校验审计链"))]

    def __str__(self) -> str:
        return f"#{self.pk} {self.event_name}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit events are archived, never deleted")


class AuditChainHead(models.Model):
    """Single row holding the newest hash; locking it serialises writers so the chain never forks."""

    last_event_id = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("审计链头")

    def __str__(self) -> str:
        return f"#{self.last_event_id} {self.last_hash[:12]}"


class AuditArchive(models.Model):
    """A batch of events moved out of the live table into a file after the retention period.

    Archives are contiguous id ranges of the chain. `file_path` is relative to the archive directory.
    """

    created_at = models.DateTimeField(_("归档时间"), auto_now_add=True)
    first_event_id = models.BigIntegerField(_("起始事件"))
    last_event_id = models.BigIntegerField(_("结束事件"))
    event_count = models.PositiveIntegerField(_("事件数"))
    last_hash = models.CharField(_("最后哈希"), max_length=64)
    file_path = models.CharField(_("归档文件"), max_length=300)
    file_sm3 = models.CharField(_("文件 SM3"), max_length=64)

    class Meta:
        verbose_name = _("审计归档")
        verbose_name_plural = _("审计归档")
        ordering = ["-last_event_id"]

    def __str__(self) -> str:
        return f"#{self.first_event_id}–#{self.last_event_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("audit archive records are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit archive records are never deleted")
