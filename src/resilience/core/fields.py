"""Model fields for personal data."""
from __future__ import annotations

from django.db import models

from resilience.core import crypto


class EncryptedTextField(models.TextField):
    """A text value stored encrypted; Python code sees the plaintext.

    Never filter on it (the ciphertext is randomised): keep a keyed hash beside it for look-up.
    Serializers and templates must show it masked unless the viewer may reveal it.
    """

    description = "Text encrypted at rest"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def from_db_value(self, value, expression, connection):
        if value is None:
            return value
        return crypto.decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None:
            return value
        return crypto.encrypt(str(value))
