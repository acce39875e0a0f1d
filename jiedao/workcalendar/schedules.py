from datetime import timedelta

from jiedao.core.schedule import periodic
from jiedao.workcalendar.tasks import check_calendar_coverage

periodic("workcalendar.coverage", timedelta(hours=6))(check_calendar_coverage)
