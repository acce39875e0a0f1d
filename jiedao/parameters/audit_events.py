from django.utils.translation import gettext_lazy as _

from jiedao.audit.registry import event_type

PARAMETER_CHANGED = event_type(1501, "parameters.parameter.changed", _("修改系统参数"))
