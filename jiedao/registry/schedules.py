from datetime import timedelta

from jiedao.core.schedule import periodic
from jiedao.registry.tasks import permit_reminders, refresh_residence_splits, refresh_statistics

periodic("registry.permit_reminders", timedelta(days=1))(permit_reminders)
periodic("registry.statistics_snapshot", timedelta(hours=1))(refresh_statistics)
periodic("registry.residence_split", timedelta(days=1))(refresh_residence_splits)
