"""Small helpers for the timelimits tests: any saved record can carry a clock."""

from __future__ import annotations

import datetime as dt
from itertools import count

from jiedao.core.models import SystemAlert
from jiedao.timelimits import services
from jiedao.workcalendar.services import CHINA_TZ

_serial = count(1)


def at(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> dt.datetime:
    """A Beijing-time moment."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=CHINA_TZ)


def end_of(year: int, month: int, day: int) -> dt.datetime:
    return dt.datetime.combine(dt.date(year, month, day), dt.time.max, tzinfo=CHINA_TZ)


def make_target():
    return SystemAlert.objects.create(key=f"test-target-{next(_serial)}", message="测试对象")


def start(
    org, *, rule="working_days", limit=10, started_at=None, kind="test.application", actor=None, target=None
):
    return services.clock_start(
        actor=actor,
        target=target or make_target(),
        kind=kind,
        rule=rule,
        limit=limit,
        org=org,
        started_at=started_at or at(2026, 9, 1),
    )
