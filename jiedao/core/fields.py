"""Model fields for personal data encrypted at rest."""

from __future__ import annotations

from django.db import models

from jiedao.core import crypto


class EncryptedTextField(models.TextField):
    """Stores SM4-GCM ciphertext; Python code sees the plaintext. Not searchable: pair with a blind index."""

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        return crypto.decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return crypto.encrypt(value)
