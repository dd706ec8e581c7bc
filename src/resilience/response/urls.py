from resilience.response.views import tasks

app_name = "response"
urlpatterns: list = [*tasks.TaskViews.urls()]
