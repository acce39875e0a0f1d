from django.db import models
from django.utils.translation import gettext_lazy as _


class CountingRule(models.TextChoices):
    """How a time limit is counted. Shared by every timed thing in the platform."""

    WORKING_DAYS = "working_days", _("工作日")
    CALENDAR_DAYS = "calendar_days", _("自然日")
    CALENDAR_DAYS_ROLLING = "calendar_days_rolling", _("自然日（末日顺延）")
    HOURS = "hours", _("小时")


class YearStatus(models.TextChoices):
    """How a year the built-in holiday data does not know is covered."""

    PUBLISHED = "published", _("已录入国务院放假安排")
    PROVISIONAL = "provisional", _("暂按周末和法定节日计算（临时）")


class DaySource(models.TextChoices):
    """Where a day's working/rest status comes from."""

    OVERRIDE = "override", _("管理员调整")
    PACKAGE = "package", _("法定节假日数据")
    WEEKEND = "weekend", _("周一至周五上班、周末休息")
    PROVISIONAL = "provisional", _("临时按周末计算")
    STATUTORY = "statutory", _("法定假日（全国年节及纪念日放假办法）")
