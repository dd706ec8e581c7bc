from resilience.alerts.models.alerts import Alert, AlertEvent

__all__ = ["Alert", "AlertEvent"]
