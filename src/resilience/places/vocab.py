"""Controlled vocabularies of the places app."""
from django.db import models
from django.utils.translation import gettext_lazy as _


class RegionLevel(models.TextChoices):
    CITY = "city", _("city")
    DISTRICT = "district", _("district")
    STREET = "street", _("street (sub-district)")


class Structure(models.TextChoices):
    BRICK_CONCRETE = "brick_concrete", _("brick-concrete")
    FRAME = "frame", _("reinforced-concrete frame")
    SHEAR_WALL = "shear_wall", _("shear wall")
    STEEL = "steel", _("steel")
    MASONRY = "masonry", _("masonry")
    TIMBER = "timber", _("timber")
    OTHER = "other", _("other")


class FacilityKind(models.TextChoices):
    POWER_ROOM = "power_room", _("power distribution room")
    FIRE_EQUIPMENT = "fire_equipment", _("fire equipment")
    HYDRANT = "hydrant", _("fire hydrant")
    EBIKE_CHARGING = "ebike_charging", _("e-bike charging point")
    GAS = "gas", _("gas station / pressure regulator")
    ELEVATOR = "elevator", _("elevator")
    PARKING = "parking", _("parking")
    UNDERGROUND_GARAGE = "underground_garage", _("underground garage")
    SHELTER = "shelter", _("shelter")
    WAREHOUSE = "warehouse", _("supplies warehouse")
    CLINIC = "clinic", _("clinic")
    PUMP = "pump", _("drainage pump")
    AED = "aed", _("AED (defibrillator)")
    COMMUNITY_CENTRE = "community_centre", _("community centre")
    SCHOOL = "school", _("school / kindergarten")
    ELDERLY_CARE = "elderly_care", _("elderly care centre")
    OTHER = "other", _("other")


# Kinds whose capacity means "people it can hold" (shelters) or "things it holds".
CAPACITY_KINDS = {
    FacilityKind.SHELTER, FacilityKind.PARKING, FacilityKind.UNDERGROUND_GARAGE,
    FacilityKind.EBIKE_CHARGING, FacilityKind.WAREHOUSE, FacilityKind.ELDERLY_CARE,
    FacilityKind.COMMUNITY_CENTRE, FacilityKind.SCHOOL, FacilityKind.CLINIC,
}
