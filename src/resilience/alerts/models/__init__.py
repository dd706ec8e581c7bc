from resilience.alerts.models.alerts import Alert, AlertEvent
from resilience.alerts.models.deliveries import AlertRecipient, Delivery, Endpoint

__all__ = ["Alert", "AlertEvent", "AlertRecipient", "Delivery", "Endpoint"]
