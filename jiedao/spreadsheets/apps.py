from importlib import import_module

from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _


class SpreadsheetsConfig(AppConfig):
    name = "jiedao.spreadsheets"
    label = "spreadsheets"
    verbose_name = _("表格导入导出")

    def ready(self) -> None:
        # Each app declares its import specs in its own `import_specs.py` (see jiedao/spreadsheets/specs.py).
        for config in apps.get_app_configs():
            if not config.name.startswith("jiedao."):
                continue
            try:
                import_module(f"{config.name}.import_specs")
            except ModuleNotFoundError as error:
                if error.name != f"{config.name}.import_specs":
                    raise

    def rewrite_encrypted_files(self) -> int:
        """Key rotation (`manage.py rotate_field_keys`): the stored uploads are encrypted outside FileFields."""
        from jiedao.spreadsheets.services import rewrite_stored_uploads

        return rewrite_stored_uploads()
