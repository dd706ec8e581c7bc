from resilience.street.models.aid import (
    AidRequest,
    ShelterReferral,
    StockTransfer,
    VolunteerLoan,
)
from resilience.street.models.broadcasts import Broadcast

__all__ = ["AidRequest", "Broadcast", "ShelterReferral", "StockTransfer", "VolunteerLoan"]
