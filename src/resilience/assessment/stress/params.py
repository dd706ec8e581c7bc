"""Parameters of the stress scenarios: declared with ``Param`` (for forms and the API) and
checked by ``clean_params``, which names every bad parameter at once."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class Param:
    """One parameter of a scenario, described for forms and checked by ``clean_params``.

    ``kind``: ``int`` (whole number within ``minimum``–``maximum``), ``building`` (one building
    id of the community), ``buildings`` / ``grids`` (lists of ids of the community)."""

    name: str
    label: Any
    kind: str = "int"
    required: bool = False
    default: Any = None
    minimum: int | None = None
    maximum: int | None = None
    help: Any = ""

    def as_dict(self) -> dict:
        return {"name": self.name, "label": str(self.label), "kind": self.kind,
                "required": self.required, "default": self.default, "minimum": self.minimum,
                "maximum": self.maximum, "help": str(self.help)}


def _whole(value) -> int:
    if isinstance(value, bool):
        raise ValidationError(_("Give a whole number."))
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    raise ValidationError(_("Give a whole number."))


def _clean_int(community, spec: Param, value) -> int:
    number = _whole(value)
    if (spec.minimum is not None and number < spec.minimum) or (
            spec.maximum is not None and number > spec.maximum):
        raise ValidationError(_("Give a whole number from %(min)s to %(max)s.")
                              % {"min": spec.minimum, "max": spec.maximum})
    return number


def _ids(value) -> list[int]:
    values = value if isinstance(value, (list, tuple)) else [value]
    try:
        return sorted({_whole(v) for v in values})
    except ValidationError:
        raise ValidationError(_("Give the ids as whole numbers."))


def _clean_buildings(community, spec: Param, value) -> list[int]:
    from resilience.places.models import Building

    ids = _ids(value)
    found = set(Building.objects.filter(community=community, pk__in=ids)
                .values_list("pk", flat=True))
    missing = [i for i in ids if i not in found]
    if missing:
        raise ValidationError(_("No building %(ids)s in this community.")
                              % {"ids": ", ".join(map(str, missing))})
    return ids


def _clean_building(community, spec: Param, value) -> int:
    if isinstance(value, (list, tuple)):
        raise ValidationError(_("Choose one building."))
    return _clean_buildings(community, spec, value)[0]


def _clean_grids(community, spec: Param, value) -> list[int]:
    from resilience.places.models import Grid

    ids = _ids(value)
    found = set(Grid.objects.filter(community=community, pk__in=ids).values_list("pk", flat=True))
    missing = [i for i in ids if i not in found]
    if missing:
        raise ValidationError(_("No grid %(ids)s in this community.")
                              % {"ids": ", ".join(map(str, missing))})
    return ids


CLEANERS: dict[str, Callable] = {"int": _clean_int, "building": _clean_building,
                                 "buildings": _clean_buildings, "grids": _clean_grids}


def clean_params(community, specs: Iterable[Param], params: dict | None) -> dict:
    """The parameters checked and completed with defaults, JSON-safe (ids, not objects).
    Raises ``ValidationError({name: reason})`` for every bad or unknown parameter at once."""
    specs = list(specs)
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise ValidationError({"parameters": _("Give the parameters as an object of "
                                               "name → value.")})
    errors: dict[str, Any] = {}
    names = {s.name for s in specs}
    for name in params:
        if name not in names:
            errors[str(name)] = _("This scenario has no such parameter.")
    cleaned: dict[str, Any] = {}
    for spec in specs:
        value = params.get(spec.name)
        if value is None or value == "" or value == []:
            if spec.required:
                errors[spec.name] = _("This parameter is required.")
            else:
                cleaned[spec.name] = spec.default
            continue
        try:
            cleaned[spec.name] = CLEANERS[spec.kind](community, spec, value)
        except ValidationError as exc:
            errors[spec.name] = exc.messages
    if errors:
        raise ValidationError(errors)
    return cleaned
