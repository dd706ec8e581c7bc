from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResponseConfig(AppConfig):
    name = "resilience.response"
    label = "response"
    verbose_name = _("Emergency response")

    def ready(self) -> None:
        from resilience.core.views import menu, pages
        from resilience.response.views.panels import incidents_panel

        group = _("Response")
        menu.register(group, _("Incidents"), "response:incident_list", "response.Incident")
        menu.register(group, _("Emergency plans"), "response:plan_list", "response.Plan")
        menu.register(group, _("Tasks"), "response:task_list", "response.Task")
        menu.register(group, _("My tasks"), "response:task_mine", "response.Task")
        menu.register(group, _("My roll-call"), "response:rollcall_mine", "response.RollCallEntry")
        pages.DASHBOARD_PANELS.append(incidents_panel)
