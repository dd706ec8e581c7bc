from resilience.health.models.archives import (
    Condition, Consent, Device, HealthArchive, Medication,
)
from resilience.health.models.care import CarePlan, FollowUp
from resilience.health.models.screening import Referral, Screening, ScreeningRound

__all__ = ["CarePlan", "Condition", "Consent", "Device", "FollowUp", "HealthArchive",
           "Medication", "Referral", "Screening", "ScreeningRound"]
