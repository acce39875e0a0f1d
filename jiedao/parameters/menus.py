from django.utils.translation import gettext_lazy as _

from jiedao.core.menus import MenuItem, add
from jiedao.parameters.registry import VIEW

add("admin", MenuItem(_("系统参数"), "parameters:parameter_list", VIEW, "sliders"))
