"""Survey and imported indicator values: what may be entered."""
from __future__ import annotations

import math

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from resilience.assessment.catalogue import catalogue
from resilience.assessment.vocab import Source


def enterable() -> list:
    """The indicators whose value is entered (survey or imported), by name."""
    return sorted((i for i in catalogue().values() if i.source != Source.COMPUTED),
                  key=lambda i: str(i.name))


def check_entry(indicator: str, value, source: str | None = None) -> None:
    """Refuse an entry for an unknown indicator, for one computed from live data, or with a
    value that is not a finite number (``ValidationError`` naming the field)."""
    known = catalogue().get(indicator)
    if known is None:
        raise ValidationError({"indicator": _("Unknown indicator: %(code)s.") % {
            "code": indicator}})
    if known.source == Source.COMPUTED:
        raise ValidationError({"indicator": _(
            "%(name)s is computed from the platform's live data; it cannot be entered.") % {
            "name": known.name}})
    if value is None or not math.isfinite(float(value)):
        raise ValidationError({"value": _("Enter a number.")})
    if source is not None and source == Source.COMPUTED:
        raise ValidationError({"source": _("An entry comes from a survey or is imported.")})
