"""Test settings: SQLite in memory unless DATABASE_URL points at PostgreSQL."""

import os

from .base import *  # noqa: F403
from .base import DATABASES, STORAGES

if not os.environ.get("DATABASE_URL"):
    DATABASES["default"] = {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}
DEBUG = False
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}
WHITENOISE_AUTOREFRESH = True

# Argon2 still, with the cheapest parameters: the suite hashes thousands of passwords.
PASSWORD_HASHERS = ["jiedao.core.test_hashers.FastArgon2PasswordHasher"]
