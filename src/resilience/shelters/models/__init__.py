from resilience.shelters.models.paths import EvacuationPlan, PathEdge
from resilience.shelters.models.shelters import Shelter, ShelterStatus, m2_per_person
from resilience.shelters.models.stays import Stay

__all__ = ["EvacuationPlan", "PathEdge", "Shelter", "ShelterStatus", "Stay", "m2_per_person"]
