from django.utils.translation import gettext_lazy as _

from jiedao.core.menus import MenuItem, add

add(
    "workbench",
    MenuItem(
        _("导入任务"), "spreadsheets:importjob_list", "spreadsheets.view_importjob", "file-earmark-arrow-up"
    ),
)
