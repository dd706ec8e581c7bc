from django.urls import path

from resilience.monitoring.views import alarms, dashboard, deadletters, rules, sensors

app_name = "monitoring"
urlpatterns: list = [
    *sensors.SensorViews.urls(),
    *alarms.AlarmViews.urls(),
    *rules.RuleViews.urls(),
    *deadletters.DeadLetterViews.urls(),
    path("dashboard-panel/", dashboard.dashboard_panel, name="dashboard_panel"),
]
