from resilience.core.models.base import ChangeLoggedModel, ScopedModel, TimeStampedModel
from resilience.core.models.codes import OneTimeCode
from resilience.core.models.logs import AccessLogEntry, ChangeLogEntry
from resilience.core.models.tasks import Task
from resilience.core.models.user import User

__all__ = [
    "AccessLogEntry",
    "ChangeLogEntry",
    "ChangeLoggedModel",
    "OneTimeCode",
    "ScopedModel",
    "Task",
    "TimeStampedModel",
    "User",
]
