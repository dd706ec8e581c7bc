from resilience.assessment.models.indices import Index
from resilience.assessment.models.runs import AssessmentRun, IndicatorEntry, IndicatorValue
from resilience.assessment.models.stress import SelfEvaluation, StressTest

__all__ = ["AssessmentRun", "Index", "IndicatorEntry", "IndicatorValue", "SelfEvaluation",
           "StressTest"]
