from django.contrib.auth import views as auth_views
from django.urls import path

from resilience.core.views import pages

urlpatterns = [
    path("", pages.dashboard, name="dashboard"),
    path("map/", pages.map_view, name="map"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
