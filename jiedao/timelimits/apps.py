from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TimelimitsConfig(AppConfig):
    name = "jiedao.timelimits"
    label = "timelimits"
    verbose_name = _("时限管理")
