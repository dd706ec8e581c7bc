from resilience.participation.views import consultations, notices, reports
from resilience.participation.views import portal as portal_views
from resilience.participation.views import drills as drill_views
from resilience.participation.views import education as education_views

app_name = "participation"
urlpatterns: list = [
    *notices.NoticeViews.urls(),
    *reports.ReportViews.urls(),
    *consultations.ConsultationViews.urls(),
    *portal_views.urls(),
    *education_views.LessonViews.urls(),
    *education_views.LessonAssignmentViews.urls(),
    *drill_views.DrillViews.urls(),
]
