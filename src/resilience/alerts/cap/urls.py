"""Public CAP 1.2 URLs, included by the project at ``cap/`` (DESIGN §5)."""
from django.urls import path

from resilience.alerts.cap import views

app_name = "cap"
urlpatterns = [
    path("alerts.atom", views.alert_feed, name="feed"),
    path("alerts/<str:identifier>.xml", views.alert_document, name="alert"),
]
