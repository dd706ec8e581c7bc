from django.urls import path

from resilience.health.views import archives, care, screening

app_name = "health"
urlpatterns: list = [
    path("", care.home, name="home"),
    *archives.HealthArchiveViews.urls(),
    *care.CarePlanViews.urls(),
    *care.FollowUpViews.urls(),
    *screening.ScreeningRoundViews.urls(),
    *screening.ScreeningViews.urls(),
    *screening.ReferralViews.urls(),
]
