from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    name = "resilience.monitoring"
    label = "monitoring"
    verbose_name = _("Monitoring")

    def ready(self) -> None:
        from resilience.core.views import menu, pages
        from resilience.monitoring.views import dashboard, maps

        group = _("Monitoring")
        menu.register(group, _("Sensors"), "monitoring:sensor_list", "monitoring.Sensor")
        menu.register(group, _("Alarms"), "monitoring:alarm_list", "monitoring.Alarm")
        menu.register(group, _("Rules"), "monitoring:rule_list", "monitoring.Rule")
        menu.register(group, _("Dead letters"), "monitoring:deadletter_list",
                      "monitoring.DeadLetter")
        pages.MAP_LAYERS.append(maps.map_layer)
        pages.DASHBOARD_PANELS.append(dashboard.panel)
