"""Demo data: a shelter profile for each shelter facility and the walking graph of the layout."""
from __future__ import annotations

from resilience.places.models import Facility
from resilience.shelters import evacuation, graph
from resilience.shelters.models import Shelter, ShelterStatus, m2_per_person


def _area(facility: Facility) -> float | None:
    """The facility's footprint in m² (local flat approximation), when it has a polygon."""
    import math

    import shapely
    from shapely.geometry import shape

    geometry = facility.geometry
    if not geometry or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        return None
    lat0 = facility.latitude or 31.2
    kx, ky = 111_320.0 * math.cos(math.radians(lat0)), 110_574.0
    return round(shapely.transform(shape(geometry), lambda xy: xy * [kx, ky]).area, 1)


def seed(community) -> list[Shelter]:
    """Open a shelter profile for each of the community's shelter facilities (indoor halls and
    outdoor squares alike: the demo shows an emergency in progress), build its walking graph from
    the layout and plan its evacuation. Safe to run twice."""
    from django.utils import timezone

    facilities = Facility.objects.filter(community=community, kind="shelter").order_by("code")
    profiles = {s.facility_id: s for s in Shelter.objects.filter(facility__in=facilities)}
    now = timezone.now()
    for number, facility in enumerate(facilities):
        shelter = profiles.get(facility.pk) or Shelter(facility=facility)
        if shelter.floor_area is None:
            area = _area(facility)
            shelter.floor_area = area if area is not None else (
                facility.capacity * m2_per_person() if facility.capacity else None)
        if shelter.status == ShelterStatus.CLOSED:
            shelter.status, shelter.opened_at = ShelterStatus.OPEN, now
        shelter.has_water = shelter.has_toilets = shelter.is_accessible = True
        shelter.has_power, shelter.has_medical = number % 2 == 0, number == 0
        profiles[facility.pk] = shelter
    # In bulk: one plan at the end rather than one per shelter opened (the status signal).
    fields = ["status", "opened_at", "floor_area", "has_water", "has_toilets", "is_accessible",
              "has_power", "has_medical"]
    Shelter.objects.bulk_create([p for p in profiles.values() if p.pk is None])
    Shelter.objects.bulk_update([p for p in profiles.values() if p.pk is not None], fields)
    graph.generate_for(community)
    evacuation.recompute(community)
    return list(Shelter.objects.filter(facility__in=facilities))
