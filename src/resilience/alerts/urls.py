from resilience.alerts import views

app_name = "alerts"
urlpatterns: list = views.urls()
