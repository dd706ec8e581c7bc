from resilience.response.views import incidents, plans, rollcall, tasks

app_name = "response"
urlpatterns: list = [
    *tasks.TaskViews.urls(),
    *plans.PlanViews.urls(),
    *incidents.IncidentViews.urls(),
    *rollcall.urls(),
]
