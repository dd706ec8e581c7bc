from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ParticipationConfig(AppConfig):
    name = "resilience.participation"
    label = "participation"
    verbose_name = _("Resident participation")

    def ready(self) -> None:
        from resilience.core.views import menu

        group = _("Participation")
        menu.register(group, _("Notices"), "participation:notice_list", "participation.Notice")
        menu.register(group, _("Community notices"), "participation:notice_feed",
                      "participation.Notice")
        menu.register(group, _("Resident reports"), "participation:report_list",
                      "participation.Report")
        menu.register(group, _("Report a problem"), "participation:report_new",
                      "participation.Report")
        menu.register(group, _("My reports"), "participation:report_mine", "participation.Report")
