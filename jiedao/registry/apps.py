from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "jiedao.registry"
    label = "registry"
    verbose_name = _("人口房屋企业信息（一标三实）")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        post_migrate.connect(_ensure_search_structures, sender=self)


def _ensure_search_structures(sender, using="default", **kwargs) -> None:
    from django.db import connections

    from jiedao.registry.search_indexes import ensure

    ensure(connections[using])
