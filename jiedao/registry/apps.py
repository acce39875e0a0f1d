from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "jiedao.registry"
    label = "registry"
    verbose_name = _("人口房屋企业信息（一标三实）")
