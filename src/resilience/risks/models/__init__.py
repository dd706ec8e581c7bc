from resilience.risks.models.hazards import Hazard, HazardEvent
from resilience.risks.models.inspections import (
    ChecklistItem, ChecklistTemplate, Inspection, InspectionAnswer, InspectionPlan,
)
from resilience.risks.models.sources import RiskAssessment, RiskSource

__all__ = [
    "ChecklistItem", "ChecklistTemplate", "Hazard", "HazardEvent", "Inspection",
    "InspectionAnswer", "InspectionPlan", "RiskAssessment", "RiskSource",
]
