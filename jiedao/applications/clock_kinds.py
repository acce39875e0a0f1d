from django.utils.translation import gettext_lazy as _

from jiedao.timelimits.registry import register_kind

APPLICATION_CLOCK = "applications.application"
RECTIFICATION_CLOCK = "applications.rectification"

register_kind(APPLICATION_CLOCK, _("政务服务办件"))
register_kind(RECTIFICATION_CLOCK, _("差评整改"))
