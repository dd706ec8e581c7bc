from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentConfig(AppConfig):
    """Resilience assessment (DESIGN §2.7): indicators, index methods, runs, stress tests,
    self-evaluation and reports."""

    name = "resilience.assessment"
    label = "assessment"
    verbose_name = _("Resilience assessment")

    def ready(self) -> None:
        from resilience.core.roles import Role
        from resilience.core.views import menu

        # Staff, the street office and the admin; grid workers may open the pages (view only)
        # but the menu stays with those who run assessments.
        runners = (Role.ADMIN, Role.OFFICE, Role.STAFF)
        group = _("Assessment")
        menu.register(group, _("Resilience assessment"), "assessment:home",
                      "assessment.AssessmentRun", roles=runners)
        menu.register(group, _("Communities compared"), "assessment:street",
                      "assessment.AssessmentRun", roles=runners)
        menu.register(group, _("Resilience indices"), "assessment:index_list",
                      "assessment.AssessmentRun", roles=(Role.ADMIN,))
