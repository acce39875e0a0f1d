from datetime import timedelta

from jiedao.applications.tasks import archive_notices, deemed_acceptance
from jiedao.core.schedule import periodic

periodic("applications.deemed_acceptance", timedelta(hours=1))(deemed_acceptance)
periodic("applications.archive_notices", timedelta(hours=1))(archive_notices)
