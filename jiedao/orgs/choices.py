from django.db import models
from django.utils.translation import gettext_lazy as _


class OrgLevel(models.IntegerChoices):
    DISTRICT = 1, _("区")
    SUBDISTRICT = 2, _("街道")
    COMMUNITY = 3, _("社区")
    GRID = 4, _("网格")
