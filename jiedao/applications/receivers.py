"""Keeping the service hall's copies of time-limit due dates in line with their clocks."""

from jiedao.applications.clock_kinds import APPLICATION_CLOCK, RECTIFICATION_CLOCK
from jiedao.applications.models import Application, Rectification
from jiedao.timelimits.services import copy_recomputed_deadlines

_MODELS = {APPLICATION_CLOCK: Application, RECTIFICATION_CLOCK: Rectification}


def follow_recomputed_deadlines(sender, *, kind: str, changes, **kwargs) -> None:
    """A working-day calendar change moved clocks: the application's 办理期限 (shown to staff, the applicant
    and on tracking) and a rectification's deadline move with them, in the same transaction."""
    model = _MODELS.get(kind)
    if model is not None:
        copy_recomputed_deadlines(model, changes)
