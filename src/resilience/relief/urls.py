"""Relief pages. Each part adds its own views module's ``urls()`` here."""
from resilience.relief.views import purchases as purchase_views
from resilience.relief.views import supplies as supply_views
from resilience.relief.views import surveys as survey_views
from resilience.relief.views import dispatch as dispatch_views
from resilience.relief.views import needs as needs_views
from resilience.relief.views import requests as request_views

app_name = "relief"
urlpatterns: list = []
urlpatterns += [*supply_views.urls(), *purchase_views.urls(), *survey_views.urls()]
urlpatterns += [*request_views.urls(), *dispatch_views.urls(), *needs_views.urls()]
