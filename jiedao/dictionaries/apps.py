from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DictionariesConfig(AppConfig):
    name = "jiedao.dictionaries"
    label = "dictionaries"
    verbose_name = _("数据字典")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        post_migrate.connect(_reload_standard_data, sender=self)


def _reload_standard_data(sender, **kwargs) -> None:
    """A test database flush (transactional tests) empties the seeded tables; post_migrate refills them."""
    from jiedao.dictionaries.standard_data import ensure_loaded

    ensure_loaded()
