from django.db import models
from django.utils.translation import gettext_lazy as _


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", _("已预约")
    CHECKED_IN = "checked_in", _("已签到")
    CANCELLED = "cancelled", _("已取消")
    NO_SHOW = "no_show", _("已记爽约")


# What takes a place of a slot: everything but a cancelled booking (a no-show held the place until it passed).
TAKING_PLACE = (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN, AppointmentStatus.NO_SHOW)
