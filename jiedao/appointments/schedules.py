from datetime import timedelta

from jiedao.appointments.tasks import mark_no_shows
from jiedao.core.schedule import periodic

# Every ten minutes: a no-show is counted soon after the grace ends, while the window still has the day's list.
periodic("appointments.mark_no_shows", timedelta(minutes=10))(mark_no_shows)
