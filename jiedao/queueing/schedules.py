from datetime import timedelta

from jiedao.core.schedule import periodic
from jiedao.queueing.tasks import close_days

# Daily: only days before today are closed, so the hour the job runs at does not matter, and a run missed is
# caught up by the next.
periodic("queueing.close_days", timedelta(days=1))(close_days)
