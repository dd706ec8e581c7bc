from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlertsConfig(AppConfig):
    name = "resilience.alerts"
    label = "alerts"
    verbose_name = _("Early warning")

    def ready(self) -> None:
        from resilience.alerts.services import on_alarm_raised
        from resilience.core.views.menu import register
        from resilience.monitoring.signals import alarm_raised

        alarm_raised.connect(on_alarm_raised, dispatch_uid="alerts.on_alarm_raised")
        register(_("Early warning"), _("Alerts"), "alerts:alert_list", "alerts.Alert")
        register(_("Early warning"), _("My alerts"), "alerts:inbox")
        register(_("Early warning"), _("Group endpoints"), "alerts:endpoint_list", "alerts.Endpoint")
