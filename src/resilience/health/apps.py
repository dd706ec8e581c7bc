from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HealthConfig(AppConfig):
    name = "resilience.health"
    label = "health"
    verbose_name = _("Community public health")

    def ready(self) -> None:
        from resilience.core.views import menu
        from resilience.health import signals

        signals.connect()
        group = _("Health")
        menu.register(group, _("Health overview"), "health:home", "health.Screening")
        menu.register(group, _("Health archives"), "health:healtharchive_list",
                      "health.HealthArchive")
        menu.register(group, _("My follow-ups"), "health:my_followups", "health.Screening")
        menu.register(group, _("Overdue follow-ups"), "health:overdue", "health.Screening")
        menu.register(group, _("Care plans"), "health:careplan_list", "health.Screening")
        menu.register(group, _("Screening rounds"), "health:screeninground_list",
                      "health.ScreeningRound")
        menu.register(group, _("Referrals"), "health:referral_list", "health.Referral")
