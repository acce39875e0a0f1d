from datetime import timedelta

from jiedao.core.schedule import periodic
from jiedao.timelimits.tasks import sweep_clocks

periodic("timelimits.sweep", timedelta(minutes=5))(sweep_clocks)
