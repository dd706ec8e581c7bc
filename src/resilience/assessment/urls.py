"""Assessment pages (namespace ``assessment``)."""
from django.urls import path

from resilience.assessment.views import entries, evaluations, pages, street, stress

app_name = "assessment"
urlpatterns = [
    path("", pages.home, name="home"),
    path("street/", street.street, name="street"),
    path("indices/", pages.index_list, name="index_list"),
    path("indices/<int:pk>/", pages.index_detail, name="index_detail"),
    path("communities/<int:pk>/", pages.community, name="community"),
    path("communities/<int:pk>/run/", pages.run_new, name="run_new"),
    path("communities/<int:pk>/report/", pages.report_page, name="report"),
    path("communities/<int:pk>/stress/new/", stress.stress_new, name="stress_new"),
    path("communities/<int:pk>/evaluate/", evaluations.evaluation_new, name="evaluation_new"),
    path("communities/<int:pk>/entries/", entries.entry_list, name="entry_list"),
    path("communities/<int:pk>/entries/new/", entries.entry_new, name="entry_new"),
    path("runs/<int:pk>/", pages.run_detail, name="run_detail"),
    path("runs/<int:pk>/values.csv", pages.run_csv, name="run_csv"),
    path("stress/<int:pk>/", stress.stress_detail, name="stress_detail"),
    path("stress/<int:pk>/again/", stress.stress_again, name="stress_again"),
    path("evaluations/<int:pk>/", evaluations.evaluation_detail, name="evaluation_detail"),
]
