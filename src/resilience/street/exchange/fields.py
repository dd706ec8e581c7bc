"""How every field that leaves the platform for an upstream department is declared.

One ``Field`` per column of a dataset: its name, its type, what it means and its
**classification** — ``public`` (anyone may have it), ``internal`` (government offices that work
with the platform, on request and only for users who may see internal data) or ``personal``
(about an identifiable person: declared so the withholding is visible, never exported). The
export (``exchange.export``) keeps the fields a level allows and nothing else; the tests fail
when a field lacks a classification or a personal field reaches an export.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

PUBLIC = "public"
INTERNAL = "internal"
PERSONAL = "personal"
CLASSIFICATIONS = (PUBLIC, INTERNAL, PERSONAL)
LEVELS = (PUBLIC, INTERNAL)  # what an export may be asked for; personal is never one
ALLOWED = {PUBLIC: {PUBLIC}, INTERNAL: {PUBLIC, INTERNAL}}

CLASSIFICATION_LABELS = {
    PUBLIC: _("public"),
    INTERNAL: _("internal"),
    PERSONAL: _("personal (never exported)"),
}

TYPES = ("string", "integer", "decimal", "number", "boolean", "date-time", "geojson")


@dataclass(frozen=True)
class Field:
    """One column of an exchanged dataset (or of a roll-up)."""

    name: str
    type: str
    classification: str
    description: str
    suppressed: bool = False  # a count of people: small cells are shown as "<N" (rollups.py)
    levels: frozenset = field(default_factory=lambda: frozenset({"community"}))

    def __post_init__(self):
        if self.classification not in CLASSIFICATIONS:
            raise ValueError(f"field {self.name!r}: classification {self.classification!r} "
                             f"is not one of {CLASSIFICATIONS}")
        if self.type not in TYPES:
            raise ValueError(f"field {self.name!r}: type {self.type!r} is not one of {TYPES}")


def allowed(fields, level: str) -> list[Field]:
    """The fields an export at ``level`` may carry (never a personal one)."""
    if level not in ALLOWED:
        raise ValueError(level)
    return [f for f in fields if f.classification in ALLOWED[level]]
