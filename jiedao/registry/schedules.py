from datetime import timedelta

from jiedao.core.schedule import periodic
from jiedao.registry.tasks import permit_reminders

periodic("registry.permit_reminders", timedelta(days=1))(permit_reminders)
