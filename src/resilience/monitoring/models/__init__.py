from resilience.monitoring.models.alarms import Alarm, Rule
from resilience.monitoring.models.observations import DeadLetter, Observation
from resilience.monitoring.models.predictions import Baseline
from resilience.monitoring.models.sensors import Sensor

__all__ = ["Alarm", "Baseline", "DeadLetter", "Observation", "Rule", "Sensor"]
