from django.utils.translation import gettext_lazy as _

from jiedao.audit.registry import event_type

ITEM_CREATED = event_type(1601, "dictionaries.item.created", _("新增字典项"))
ITEM_CHANGED = event_type(1602, "dictionaries.item.changed", _("修改字典项"))
ITEM_DEACTIVATED = event_type(1603, "dictionaries.item.deactivated", _("停用字典项"))
ITEM_REACTIVATED = event_type(1604, "dictionaries.item.reactivated", _("启用字典项"))
