from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from resilience.alerts.views import ack as alert_ack

from resilience.core import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("api/", include("resilience.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
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
    path("cap/", include("resilience.alerts.cap.urls")),
    path("a/<str:token>", alert_ack.link, name="ack"),  # short: it goes into SMS messages
    path("", include("resilience.core.urls")),
]
