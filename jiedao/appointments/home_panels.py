"""Home panel: today's bookings at the window staff's halls."""

from django.urls import reverse
from django.utils.translation import gettext as _

from jiedao.core.home import home_panel
from jiedao.core.scope import has_permission


@home_panel
def todays_appointments_panel(user):
    if not has_permission(user, "appointments.view_appointment"):
        return None
    from jiedao.appointments.selectors import today_counts

    counts = today_counts(user)
    return {
        "title": _("今日预约"),
        "value": counts["total"],
        "text": _("其中 %(n)d 人尚未签到") % {"n": counts["waiting"]},
        "url": reverse("appointments:today"),
        "link_text": _("去签到"),
    }
