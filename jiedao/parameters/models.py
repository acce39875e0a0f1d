from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SystemParameter(models.Model):
    """A value an administrator set for a declared parameter; absent means the declared default."""

    key = models.CharField(_("参数"), max_length=100, unique=True)
    value = models.JSONField(_("值"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("系统参数")
        verbose_name_plural = _("系统参数")
        permissions = [
            ("manage_systemparameter", _("可修改系统参数")),
            ("manage_security_policy", _("可修改安全策略参数")),
        ]

    def __str__(self) -> str:
        return self.key
