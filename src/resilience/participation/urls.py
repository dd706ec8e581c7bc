from resilience.participation.views import notices, reports

app_name = "participation"
urlpatterns: list = [
    *notices.NoticeViews.urls(),
    *reports.ReportViews.urls(),
]
