"""What each export holds: its rows (from the user's scope) and columns, with personal data masked
unless revealed. Headers are the import columns' headers, so an export can be imported again."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models import Count
from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from resilience.core import crypto
from resilience.core.geo import point
from resilience.people.models import Household, Resident, Volunteer
from resilience.people.transfer.choices import label
from resilience.people.vocab import HEALTH_TAGS, Availability, Relationship, Sex, Skill, Vulnerability
from resilience.places.models import Building, Facility, Grid
from resilience.places.vocab import FacilityKind, Structure


@dataclass(frozen=True)
class ExportColumn:
    """A column of an export: ``get(obj, revealed)`` gives the cell; ``sensitive`` names the
    model field it shows in clear when revealed (it is masked otherwise)."""

    key: str
    label: Promise
    get: Callable[[Any, bool], Any]
    sensitive: str = ""


@dataclass
class ExportKind:
    """One kind of export: the model, the columns and where a row is on the map."""

    model: type[models.Model]
    columns: tuple[ExportColumn, ...]
    related: tuple[str, ...] = ()
    geometry: Callable[[Any], dict | None] = lambda obj: None
    annotate: dict = field(default_factory=dict)

    @property
    def sensitive_fields(self) -> list[str]:
        return [c.sensitive for c in self.columns if c.sensitive]


def joined(labels: list[str]) -> str:
    return ("、" if (get_language() or "").startswith("zh") else ", ").join(labels)


def yes_no(value: bool | None) -> str:
    if value is None:
        return ""
    return _("yes") if value else _("no")


def masked(mask: Callable[[str], str], attr: str) -> Callable[[Any, bool], str]:
    return lambda obj, revealed: getattr(obj, attr) if revealed else mask(getattr(obj, attr))


def plain(attr: str) -> Callable[[Any, bool], Any]:
    def get(obj, revealed):
        value = obj
        for part in attr.split("."):
            value = getattr(value, part, None) if value is not None else None
        return value
    return get


def resident_tags(resident: Resident, revealed: bool) -> str:
    tags = [t for t in resident.tags if revealed or t not in HEALTH_TAGS]
    return joined([label(Vulnerability, t) for t in tags])


def building_point(building: Building | None) -> dict | None:
    if building is None or building.latitude is None or building.longitude is None:
        return None
    return point(building.latitude, building.longitude)


def place_geometry(obj) -> dict | None:
    if obj.geometry:
        return obj.geometry
    if obj.latitude is not None and obj.longitude is not None:
        return point(obj.latitude, obj.longitude)
    return None


COMMUNITY = ExportColumn("community", _l("community"), plain("community.code"))

EXPORT_KINDS: dict[str, ExportKind] = {
    "residents": ExportKind(
        model=Resident,
        related=("community", "household__building", "household__unit"),
        geometry=lambda r: building_point(r.household.building),
        columns=(
            COMMUNITY,
            ExportColumn("household", _l("household"), plain("household.code")),
            ExportColumn("building", _l("building"), plain("household.building.code")),
            ExportColumn("unit", _l("unit"), plain("household.unit.number")),
            ExportColumn("room", _l("room"), plain("household.room")),
            ExportColumn("name", _l("name"), plain("name")),
            ExportColumn("sex", _l("sex"), lambda r, rev: label(Sex, r.sex)),
            ExportColumn("birth_date", _l("birth date"), plain("birth_date")),
            ExportColumn("id_number", _l("ID number"), masked(crypto.mask_id_number, "id_number"),
                         sensitive="id_number"),
            ExportColumn("phone", _l("phone"), masked(crypto.mask_phone, "phone"), sensitive="phone"),
            ExportColumn("relationship", _l("relationship"), lambda r, rev: label(Relationship, r.relationship)),
            ExportColumn("vulnerability", _l("vulnerability"), resident_tags, sensitive="vulnerability"),
            ExportColumn("emergency_contact_name", _l("emergency contact"), plain("emergency_contact_name")),
            ExportColumn("emergency_contact_phone", _l("emergency phone"),
                         masked(crypto.mask_phone, "emergency_contact_phone"),
                         sensitive="emergency_contact_phone"),
            ExportColumn("notes", _l("notes"), plain("notes")),
        ),
    ),
    "households": ExportKind(
        model=Household,
        related=("community", "building", "unit"),
        annotate={"resident_count": Count("residents")},
        geometry=lambda h: building_point(h.building),
        columns=(
            COMMUNITY,
            ExportColumn("code", _l("code"), plain("code")),
            ExportColumn("building", _l("building"), plain("building.code")),
            ExportColumn("unit", _l("unit"), plain("unit.number")),
            ExportColumn("room", _l("room"), plain("room")),
            ExportColumn("phone", _l("household phone"), masked(crypto.mask_phone, "phone"),
                         sensitive="phone"),
            ExportColumn("residents", _l("residents"), plain("resident_count")),
            ExportColumn("notes", _l("notes"), plain("notes")),
        ),
    ),
    "buildings": ExportKind(
        model=Building,
        related=("community", "grid", "manager"),
        geometry=place_geometry,
        columns=(
            COMMUNITY,
            ExportColumn("code", _l("code"), plain("code")),
            ExportColumn("name", _l("name"), plain("name")),
            ExportColumn("grid", _l("grid"), plain("grid.code")),
            ExportColumn("address", _l("address"), plain("address")),
            ExportColumn("latitude", _l("latitude"), plain("latitude")),
            ExportColumn("longitude", _l("longitude"), plain("longitude")),
            ExportColumn("floors", _l("floors above ground"), plain("floors")),
            ExportColumn("basement_floors", _l("floors below ground"), plain("basement_floors")),
            ExportColumn("year_built", _l("year built"), plain("year_built")),
            ExportColumn("structure", _l("structure"), lambda b, rev: label(Structure, b.structure)),
            ExportColumn("has_elevator", _l("has elevator"), lambda b, rev: yes_no(b.has_elevator)),
            ExportColumn("manager", _l("property manager"), plain("manager.name")),
        ),
    ),
    "facilities": ExportKind(
        model=Facility,
        related=("community", "grid", "building", "owner"),
        geometry=place_geometry,
        columns=(
            COMMUNITY,
            ExportColumn("code", _l("code"), plain("code")),
            ExportColumn("name", _l("name"), plain("name")),
            ExportColumn("kind", _l("type"), lambda f, rev: label(FacilityKind, f.kind)),
            ExportColumn("grid", _l("grid"), plain("grid.code")),
            ExportColumn("building", _l("building"), plain("building.code")),
            ExportColumn("latitude", _l("latitude"), plain("latitude")),
            ExportColumn("longitude", _l("longitude"), plain("longitude")),
            ExportColumn("capacity", _l("capacity"), plain("capacity")),
            ExportColumn("owner", _l("owner organisation"), plain("owner.name")),
            ExportColumn("status", _l("status"), lambda f, rev: label(Facility.Status, f.status)),
            ExportColumn("notes", _l("notes"), plain("notes")),
        ),
    ),
    "volunteers": ExportKind(
        model=Volunteer,
        related=("community", "home_building", "team"),
        geometry=lambda v: building_point(v.home_building),
        columns=(
            COMMUNITY,
            ExportColumn("name", _l("name"), plain("name")),
            ExportColumn("phone", _l("phone"), masked(crypto.mask_phone, "phone"), sensitive="phone"),
            ExportColumn("skills", _l("skills"),
                         lambda v, rev: joined([label(Skill, s) for s in v.skills or []])),
            ExportColumn("availability", _l("availability"),
                         lambda v, rev: label(Availability, v.availability)),
            ExportColumn("home_building", _l("home building"), plain("home_building.code")),
            ExportColumn("team", _l("team"), plain("team.name")),
            ExportColumn("active", _l("active"), lambda v, rev: yes_no(v.active)),
        ),
    ),
    "grids": ExportKind(
        model=Grid,
        related=("community",),
        annotate={"building_count": Count("buildings")},
        geometry=lambda g: g.geometry or None,
        columns=(
            COMMUNITY,
            ExportColumn("code", _l("code"), plain("code")),
            ExportColumn("name", _l("name"), plain("name")),
            ExportColumn("buildings", _l("buildings"), plain("building_count")),
        ),
    ),
}
