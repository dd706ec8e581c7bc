from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentConfig(AppConfig):
    """Resilience assessment (DESIGN §2.7): index methods now; indicators and pages to follow."""

    name = "resilience.assessment"
    label = "assessment"
    verbose_name = _("Resilience assessment")
