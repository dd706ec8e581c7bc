"""Authentication holds against guessing and stale credentials (issue 10, docs/reliability.md):
lockout after repeated failures and its release, password rules, token revocation, idle sessions.
"""
import datetime as dt
import re

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from resilience.core import auth
from resilience.core.middleware import IdleSessionMiddleware
from resilience.core.testing import PASSWORD

LOCKED = "Too many failed sign-in attempts"


@pytest.fixture(autouse=True)
def small_limit(settings):
    settings.AXES_FAILURE_LIMIT = 3
    cache.clear()


def sign_in(client, username, password=PASSWORD, ip="10.0.0.1"):
    return client.post(reverse("login"), {"username": username, "password": password},
                       REMOTE_ADDR=ip)


def signed_in(client):
    return SESSION_KEY in client.session


def fail(client, username, times, ip="10.0.0.1"):
    for _ in range(times):
        response = sign_in(client, username, "wrong password", ip)
    return response


def test_account_is_locked_after_the_limit_even_with_the_right_password(client, world):
    response = fail(client, "staff_a", 2)
    assert response.status_code == 200 and LOCKED not in response.content.decode()
    response = fail(client, "staff_a", 1)
    assert response.status_code == 429
    assert LOCKED in response.content.decode()

    other = Client()  # another browser, another address: the account itself is locked
    response = sign_in(other, "staff_a", ip="10.9.9.9")
    assert response.status_code == 429 and not signed_in(other)


def test_lockout_message_does_not_tell_whether_the_account_exists(client, world):
    real = fail(client, "staff_a", 3, ip="10.0.0.1").content.decode()
    ghost = fail(Client(), "nobody-here", 3, ip="10.0.0.2").content.decode()
    assert LOCKED in real and LOCKED in ghost

    def page(html):  # without the per-request nonce and CSRF token
        return re.sub(r'nonce="[^"]*"|[A-Za-z0-9]{32,}', "", html)

    assert page(real) == page(ghost)
    assert "staff_a" not in real


def test_one_client_address_is_locked_whatever_names_it_tries(client, world):
    for name in ("a1", "a2", "a3"):
        response = sign_in(client, name, "guess", ip="10.0.0.7")
    assert response.status_code == 429
    assert sign_in(Client(), "staff_b", ip="10.0.0.7").status_code == 429
    assert signed_in(client) is False
    response = sign_in(Client(), "staff_b", ip="10.0.0.8")  # another address is not affected
    assert response.status_code == 302


def test_lock_is_released_after_the_cool_off(client, world, settings):
    fail(client, "staff_a", 3)
    assert sign_in(client, "staff_a").status_code == 429
    # Age the failures past the cool-off instead of waiting.
    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME
                                 - dt.timedelta(seconds=1))
    response = sign_in(client, "staff_a")
    assert response.status_code == 302 and signed_in(client)


def test_an_admin_releases_the_lock(client, world):
    fail(client, "staff_a", 3)
    assert sign_in(client, "staff_a").status_code == 429
    call_command("axes_reset_username", "staff_a")
    call_command("axes_reset_ip", "10.0.0.1")
    assert sign_in(client, "staff_a").status_code == 302


def test_a_successful_sign_in_resets_the_count(client, world):
    fail(client, "staff_a", 2)
    assert sign_in(client, "staff_a").status_code == 302
    client.post(reverse("logout"))
    response = fail(client, "staff_a", 2)
    assert response.status_code == 200  # 2 new failures, not 4


def test_token_endpoint_is_limited_too(world):
    api = APIClient(REMOTE_ADDR="10.0.0.3")
    url = reverse("api-token")
    for _ in range(2):
        assert api.post(url, {"username": "staff_a", "password": "nope"}).status_code == 400
    response = api.post(url, {"username": "staff_a", "password": "nope"})
    assert response.status_code == 429 and LOCKED in response.json()["detail"]
    response = api.post(url, {"username": "staff_a", "password": PASSWORD})
    assert response.status_code == 429 and "token" not in response.json()


def test_phone_code_failures_count_by_address_not_under_an_empty_name(world, settings):
    request = type("R", (), {"POST": {}})()
    assert auth.lockout_parameters(request, {"username": None, "phone": "1"}) == ["ip_address"]
    assert auth.lockout_parameters(request, {"username": "staff_a"}) == ["username", "ip_address"]


def test_wrong_phone_codes_lock_the_client_address(client, world):
    from resilience.core import crypto
    from resilience.core.views.phone_login import SESSION_KEY as PHONE_NUMBER

    session = client.session
    session[PHONE_NUMBER] = crypto.encrypt("13800000001")
    session.save()
    for _ in range(3):
        response = client.post(reverse("phone_code"), {"code": "000000"}, REMOTE_ADDR="10.0.0.6")
    assert response.status_code == 429 and LOCKED in response.content.decode()
    assert sign_in(Client(), "staff_a", ip="10.0.0.6").status_code == 429  # the address
    assert sign_in(Client(), "staff_a", ip="10.0.0.9").status_code == 302  # not the account


def test_phone_codes_are_limited_per_client_address(client, world, settings):
    settings.RESILIENCE_SMS_URL = "http://127.0.0.1:9/sms"  # never reached: numbers are unknown
    settings.RESILIENCE_PHONE_CODES_PER_IP_HOUR = 3
    for n in range(3):
        response = client.post(reverse("phone_login"), {"phone": f"1390000{n:04d}"},
                               REMOTE_ADDR="10.0.0.4")
        assert response.status_code == 302
    response = client.post(reverse("phone_login"), {"phone": "13900009999"},
                           REMOTE_ADDR="10.0.0.4")
    assert response.status_code == 200 and "too many codes" in response.content.decode()
    response = Client().post(reverse("phone_login"), {"phone": "13900009999"},
                             REMOTE_ADDR="10.0.0.5")
    assert response.status_code == 302


# Password rules -------------------------------------------------------------------------------

@pytest.mark.parametrize("password, rule", [
    ("Sh0rt!pw", "too short"),
    ("password1234", "too common"),
    ("83920174650193", "entirely numeric"),
    ("staff_a_2024x", "too similar"),
])
def test_weak_passwords_are_refused(world, password, rule):
    with pytest.raises(ValidationError) as exc:
        validate_password(password, world.users["staff_a"])
    assert any(rule in m for m in exc.value.messages)


def test_fixture_and_demo_style_passwords_pass_the_rules(world):
    import secrets
    validate_password(PASSWORD, world.users["staff_a"])
    validate_password(secrets.token_urlsafe(12), world.users["admin"])  # `resilience demo`


def test_password_change_page_applies_the_rules(client, world):
    client.force_login(world.users["staff_a"])
    url = reverse("password_change")
    response = client.post(url, {"old_password": PASSWORD, "new_password1": "12345678",
                                 "new_password2": "12345678"})
    assert response.status_code == 200 and "too short" in response.content.decode()
    new = "a much longer passphrase 7"
    response = client.post(url, {"old_password": PASSWORD, "new_password1": new,
                                 "new_password2": new})
    assert response.status_code == 302
    world.users["staff_a"].refresh_from_db()
    assert world.users["staff_a"].check_password(new)


# Tokens ---------------------------------------------------------------------------------------

def token_for(user):
    return Token.objects.create(user=user).key


def test_a_user_revokes_their_token_through_the_api(world):
    key = token_for(world.users["staff_a"])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get(reverse("api-me")).status_code == 200
    assert api.post(reverse("api-token-revoke")).status_code == 204
    assert api.get(reverse("api-me")).status_code == 401
    assert not Token.objects.filter(key=key).exists()


def test_a_user_revokes_their_token_on_the_account_page(client, world):
    user = world.users["staff_a"]
    key = token_for(user)
    client.force_login(user)
    page = client.get(reverse("account")).content.decode()
    assert 'id="revoke-token"' in page and key not in page  # the key is shown only when made
    response = client.post(reverse("account_token_revoke"), follow=True)
    assert "Your API token was revoked." in response.content.decode()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get(reverse("api-me")).status_code == 401


def test_a_new_token_is_shown_once_and_replaces_the_old_one(client, world):
    user = world.users["staff_a"]
    old = token_for(user)
    client.force_login(user)
    client.post(reverse("account_token_create"))
    new = Token.objects.get(user=user).key
    assert new != old
    assert new in client.get(reverse("account")).content.decode()
    assert new not in client.get(reverse("account")).content.decode()


def test_a_deactivated_users_token_stops_working(world):
    user = world.users["staff_a"]
    key = token_for(user)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get(reverse("api-me")).status_code == 200
    user.is_active = False
    user.save()
    assert api.get(reverse("api-me")).status_code == 401


def test_a_deactivated_user_cannot_get_a_token(world):
    user = world.users["staff_a"]
    user.is_active = False
    user.save()
    response = APIClient().post(reverse("api-token"), {"username": "staff_a",
                                                       "password": PASSWORD})
    assert response.status_code == 400 and "token" not in response.json()


# Sessions -------------------------------------------------------------------------------------

def test_an_idle_session_expires_and_sends_to_sign_in(client, world, settings):
    assert "resilience.core.middleware.IdleSessionMiddleware" in settings.MIDDLEWARE
    client.force_login(world.users["staff_a"])
    assert client.get(reverse("dashboard")).status_code == 200
    Session.objects.update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_requests_move_the_expiry_on_at_most_once_a_minute(client, world):
    client.force_login(world.users["staff_a"])
    assert client.get(reverse("dashboard")).status_code == 200
    soon = timezone.now() + dt.timedelta(minutes=1)
    Session.objects.update(expire_date=soon)
    client.get(reverse("dashboard"))  # touched less than a minute ago: no write
    assert Session.objects.get().expire_date == soon

    session = client.session
    session[IdleSessionMiddleware.KEY] -= IdleSessionMiddleware.TOUCH_EVERY  # a minute later
    session.save()
    Session.objects.update(expire_date=soon)
    client.get(reverse("dashboard"))
    assert Session.objects.get().expire_date > soon + dt.timedelta(minutes=30)


def test_the_idle_timeout_is_configurable(monkeypatch):
    import importlib

    import resilience.settings as base

    monkeypatch.setenv("RESILIENCE_SESSION_IDLE_MINUTES", "15")
    monkeypatch.setenv("RESILIENCE_LOGIN_LOCKOUT_MINUTES", "30")
    try:
        fresh = importlib.reload(base)
        assert fresh.SESSION_COOKIE_AGE == 15 * 60
        assert fresh.AXES_COOLOFF_TIME == dt.timedelta(minutes=30)
    finally:
        monkeypatch.undo()
        importlib.reload(base)
