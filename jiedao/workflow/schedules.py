from datetime import timedelta

from jiedao.core.schedule import periodic
from jiedao.workflow.tasks import fire_due_timers

periodic("workflow.timers", timedelta(minutes=1))(fire_due_timers)
