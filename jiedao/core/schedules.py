from datetime import timedelta

from django_tasks import task

from jiedao.core.maintenance import optimize_database
from jiedao.core.schedule import periodic


@periodic("core.optimize_database", timedelta(hours=6))
@task()
def optimize_database_task() -> None:
    optimize_database()
