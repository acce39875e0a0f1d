from django.utils.translation import gettext_lazy as _

from jiedao.timelimits.registry import register_kind

APPLICATION_CLOCK = "applications.application"
RECTIFICATION_CLOCK = "applications.rectification"

# An application's name is its tracking code and its item's name.
register_kind(
    APPLICATION_CLOCK, _("政务服务办件"), target_model="applications.Application", target_related=("item",)
)
register_kind(RECTIFICATION_CLOCK, _("差评整改"), target_model="applications.Rectification")
