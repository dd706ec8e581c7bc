from django.contrib.auth import views as auth_views
from django.urls import path

from resilience.core.views import account, pages, phone_login

urlpatterns = [
    path("", pages.dashboard, name="dashboard"),
    path("map/", pages.map_view, name="map"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("login/phone/", phone_login.phone_login, name="phone_login"),
    path("login/phone/code/", phone_login.phone_code, name="phone_code"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/", account.account, name="account"),
    path("account/token/", account.create_token, name="account_token_create"),
    path("account/token/revoke/", account.revoke_token, name="account_token_revoke"),
    path("account/password/", account.PasswordChangeView.as_view(), name="password_change"),
]
