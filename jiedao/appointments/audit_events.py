from django.utils.translation import gettext_lazy as _

from jiedao.audit.registry import detail_labels, event_type

SCHEDULE_SET = event_type(5201, "appointments.schedule.set", _("设置预约时段"))
APPOINTMENT_BOOKED = event_type(5202, "appointments.appointment.booked", _("群众预约办理"))
APPOINTMENT_CANCELLED = event_type(5203, "appointments.appointment.cancelled", _("群众取消预约"))
APPOINTMENT_CHECKED_IN = event_type(5204, "appointments.appointment.checked_in", _("预约签到"))
APPOINTMENT_NO_SHOW = event_type(5205, "appointments.appointment.no_show", _("预约未到记为爽约"))
APPOINTMENT_CANCELLED_BY_HALL = event_type(
    5206, "appointments.appointment.cancelled_by_hall", _("服务大厅取消预约")
)
DAY_CLOSED = event_type(5208, "appointments.day.closed", _("服务大厅停止当日预约"))
DAY_REOPENED = event_type(5209, "appointments.day.reopened", _("服务大厅恢复当日预约"))
SLOTS_CLOSED = event_type(5210, "appointments.slots.closed", _("服务大厅停止部分时段预约"))
SLOT_REOPENED = event_type(5211, "appointments.slot.reopened", _("服务大厅恢复时段预约"))
APPOINTMENTS_REMINDED = event_type(
    5207, "appointments.appointments.reminded", _("短信提醒预约（次日及补发当日）")
)

detail_labels(
    "appointments",
    slots=_("开放的时段"),
    closed=_("停止预约的时段"),
    capacity=_("每个时段可预约人数"),
    code=_("预约码"),
    date=_("预约日期"),
    item=_("事项"),
    slot=_("预约时段"),
    codes=_("预约码"),
)
