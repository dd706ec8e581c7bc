"""Pages of the street dashboard helper, included by the project at ``street/`` under the
namespace ``street_dashboard`` (mutual aid has its own ``street`` namespace)."""
from django.urls import path

from resilience.street.views import dashboard, exchange, rollups

app_name = "street_dashboard"
urlpatterns = [
    path("dashboard/", dashboard.board, name="board"),
    path("dashboard/data.json", dashboard.data, name="data"),
    path("rollups/", rollups.rollup_page, name="rollups"),
    path("exchange/", exchange.exchange_page, name="exchange"),
]
