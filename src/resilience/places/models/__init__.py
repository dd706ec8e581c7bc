from resilience.places.models.areas import Community, Grid, Region
from resilience.places.models.buildings import Building, Unit
from resilience.places.models.facilities import Facility

__all__ = ["Building", "Community", "Facility", "Grid", "Region", "Unit"]
