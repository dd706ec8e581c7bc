from resilience.response.models.tasks import Task

__all__ = ["Task"]
