from datetime import timedelta

from jiedao.appointments.tasks import mark_no_shows, send_reminders
from jiedao.core.schedule import periodic

# Every ten minutes: a no-show is counted soon after the grace ends, while the window still has the day's list.
periodic("appointments.mark_no_shows", timedelta(minutes=10))(mark_no_shows)
# Hourly: the job texts tomorrow's bookings from `appointments.reminder_hour` on, so a changed hour, or a
# scheduler down at that hour, is caught up by the next run; a scheduler down until after midnight has the
# first run of the day text today's missed bookings whose slot is still an hour or more away. Each booking
# is reminded once whatever the number of runs.
periodic("appointments.send_reminders", timedelta(hours=1))(send_reminders)
