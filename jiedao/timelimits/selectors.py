"""Reads of the time-limit clocks shared by pages of several apps."""

from __future__ import annotations

from jiedao.timelimits.choices import OPEN_STATUSES
from jiedao.timelimits.models import Clock


def provisional_open_clocks(queryset=None):
    """Open clocks whose due date was computed provisionally (it reaches a year whose holiday notice is
    not entered yet): they move when it is."""
    queryset = Clock.objects.all() if queryset is None else queryset
    return queryset.filter(status__in=OPEN_STATUSES, due_provisional=True)
