from django.db import models
from django.utils.translation import gettext_lazy as _


class AdminDuty(models.TextChoices):
    """三员分立: the three separated administrator duties. Ordinary roles have none."""

    NONE = "", _("业务角色")
    SYSTEM = "system", _("系统管理员")
    SECURITY = "security", _("安全管理员")
    AUDIT = "audit", _("安全审计员")
