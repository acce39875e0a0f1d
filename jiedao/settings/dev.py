"""Development and demo settings: the default for `make run`."""

from .base import *  # noqa: F403
