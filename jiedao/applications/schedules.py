from datetime import timedelta

from jiedao.applications.tasks import (
    archive_notices,
    deemed_acceptance,
    deferral_reminders,
    purge_resident_tokens,
)
from jiedao.core.schedule import periodic

periodic("applications.deemed_acceptance", timedelta(hours=1))(deemed_acceptance)
periodic("applications.archive_notices", timedelta(hours=1))(archive_notices)
periodic("applications.deferral_reminders", timedelta(hours=1))(deferral_reminders)
periodic("applications.purge_resident_tokens", timedelta(days=1))(purge_resident_tokens)
