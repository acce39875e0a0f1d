from django.utils.translation import gettext_lazy as _

from jiedao.core.menus import MenuItem, add

add("admin", MenuItem(_("数据字典"), "dictionaries:type_list", "dictionaries.view_dictionaryitem", "book"))
