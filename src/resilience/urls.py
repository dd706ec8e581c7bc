from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularSwaggerView

from resilience.alerts.views import ack as alert_ack

from resilience.core import health
from resilience.core.api import schema as api_schema

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("api/", include("resilience.api_urls")),
    path("api/schema/", api_schema.SchemaView.as_view(), name="schema"),  # documents errors too
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("places/", include("resilience.places.urls")),
    path("people/", include("resilience.people.urls")),
    path("risks/", include("resilience.risks.urls")),
    path("monitoring/", include("resilience.monitoring.urls")),
    path("alerts/", include("resilience.alerts.urls")),
    path("response/", include("resilience.response.urls")),
    path("shelters/", include("resilience.shelters.urls")),
    path("participation/", include("resilience.participation.urls")),
    path("health/", include("resilience.health.urls")),
    path("relief/", include("resilience.relief.urls")),
    path("street/", include("resilience.street.urls")),
    path("street/", include("resilience.street.urls_dashboard")),
    path("assessment/", include("resilience.assessment.urls")),
    path("cap/", include("resilience.alerts.cap.urls")),
    path("a/<str:token>", alert_ack.link, name="ack"),  # short: it goes into SMS messages
    path("", include("resilience.core.urls")),
]

handler404 = "resilience.core.api.errors.not_found"  # JSON under /api/, the page elsewhere
