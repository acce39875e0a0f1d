from django.utils.translation import gettext_lazy as _

from jiedao.audit.registry import detail_labels, event_type

CALENDAR_DAY_SET = event_type(1701, "workcalendar.day.set", _("设置工作日历调整日"))
CALENDAR_DAY_DELETED = event_type(1702, "workcalendar.day.deleted", _("删除工作日历调整日"))
CALENDAR_YEAR_SET = event_type(1703, "workcalendar.year.set", _("设置年度节假日安排状态"))
CALENDAR_YEAR_ENTERED = event_type(1704, "workcalendar.year.entered", _("录入年度放假安排"))

detail_labels("workcalendar", days=_("调整日"), replace=_("替换原有安排"))
