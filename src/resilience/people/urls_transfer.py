"""Import and export pages; included by ``people/urls.py`` under the ``people`` namespace."""
from django.urls import path

from resilience.people import views_transfer

urlpatterns = [
    path("import/", views_transfer.import_start, name="import"),
    path("import/<int:pk>/", views_transfer.import_job, name="import_job"),
    path("import/<int:pk>/report.csv", views_transfer.import_report, name="import_report"),
    path("export/", views_transfer.export, name="export"),
]
