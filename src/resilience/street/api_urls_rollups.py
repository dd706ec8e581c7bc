"""API routes of the street dashboard's data: roll-ups and the versioned data exchange.
``resilience/api_urls.py`` adds ``*street_rollup_urls.urlpatterns`` to its own."""
from django.urls import path

from resilience.street import api_exchange, api_rollups
from resilience.street.exchange.datasets import VERSION

urlpatterns = [
    path("rollups/", api_rollups.RollupView.as_view(), name="api-rollups"),
    path(f"exchange/{VERSION}/", api_exchange.ExchangeIndexView.as_view(),
         name="api-exchange"),
    path(f"exchange/{VERSION}/<str:dataset>/", api_exchange.ExchangeDatasetView.as_view(),
         name="api-exchange-dataset"),
]
