from resilience.response.models.incidents import Incident, IncidentEvent, SituationReport
from resilience.response.models.plans import Plan, PlanLevel, PlanRole, PlanTask
from resilience.response.models.rollcall import RollCall, RollCallEntry
from resilience.response.models.tasks import Task, TaskEvent

__all__ = ["Incident", "IncidentEvent", "Plan", "PlanLevel", "PlanRole", "PlanTask", "RollCall",
           "RollCallEntry", "SituationReport", "Task", "TaskEvent"]
