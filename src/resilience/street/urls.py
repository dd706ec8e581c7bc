"""Mutual-aid and region-wide warning pages, under /street/ (namespace ``street``)."""
from resilience.street.views import aid, broadcasts

app_name = "street"
urlpatterns: list = [*aid.urls(), *broadcasts.urls()]
