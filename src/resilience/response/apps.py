from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResponseConfig(AppConfig):
    name = "resilience.response"
    label = "response"
    verbose_name = _("Emergency response")

    def ready(self) -> None:
        from resilience.core.views import menu

        group = _("Response")
        menu.register(group, _("Tasks"), "response:task_list", "response.Task")
