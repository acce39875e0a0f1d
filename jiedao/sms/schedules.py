from datetime import timedelta

from jiedao.core.schedule import periodic
from jiedao.sms.tasks import retry_due

periodic("sms.retry_due", timedelta(minutes=1))(retry_due)
