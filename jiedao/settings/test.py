"""Test settings: SQLite in memory unless DATABASE_URL points at PostgreSQL."""

import os

from .base import *  # noqa: F403
from .base import DATABASES, STORAGES

if not os.environ.get("DATABASE_URL"):
    DATABASES["default"] = {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}
DEBUG = False
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}
