"""REST API of the monitoring app; each module registers its viewsets on the shared router."""
from resilience.monitoring.api import alarms, observations, sensors


def register(router) -> None:
    sensors.register(router)
    observations.register(router)
    alarms.register(router)
