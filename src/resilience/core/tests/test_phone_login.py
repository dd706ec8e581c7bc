"""Residents sign in with their phone number and a one-time SMS code (issue #9)."""
import datetime as dt
import re

import pytest
from django.contrib.auth import SESSION_KEY as AUTH_SESSION_KEY
from django.core.cache import cache
from django.urls import reverse

from resilience.alerts.fakegateway import FakeGateway
from resilience.core import auth, crypto
from resilience.core.models import OneTimeCode
from resilience.core.views.phone_login import SESSION_KEY

NUMBER = "13800000001"  # resident A1's phone in the test world
NEUTRAL = "That code is not right or is no longer valid"


@pytest.fixture(autouse=True)
def fresh_client_limits():
    """The per-client code limit counts in the cache, which outlives a test."""
    cache.clear()


@pytest.fixture
def gateway(settings):
    with FakeGateway() as gw:
        settings.RESILIENCE_SMS_URL = f"{gw.url}/sms"
        settings.RESILIENCE_SMS_SENDER = "社区应急"
        yield gw


@pytest.fixture
def resident(world):
    world.resident_a1.user = world.users["resident_a1"]
    world.resident_a1.save()
    assert world.resident_a1.phone == NUMBER
    return world.resident_a1


def ask(client, phone=NUMBER):
    return client.post(reverse("phone_login"), {"phone": phone})


def code_in(message: dict) -> str:
    return re.search(r"\d{6}", message["text"]).group(0)


def signed_in_as(client):
    return client.session.get(AUTH_SESSION_KEY)


def without_tokens(html: str) -> str:
    html = re.sub(r'nonce="[^"]*"', 'nonce="NONCE"', html)  # the CSP nonce differs per request
    return re.sub(r"[A-Za-z0-9]{32,}", "TOKEN", html)


def back_in_time(seconds: int) -> None:
    """Make every code ``seconds`` older (rate limits and expiry without sleeping)."""
    for otc in OneTimeCode.objects.all():
        otc.created -= dt.timedelta(seconds=seconds)
        otc.expires -= dt.timedelta(seconds=seconds)
        otc.save()


def test_login_page_links_to_phone_sign_in(client, world):
    page = client.get(reverse("login"))
    assert reverse("phone_login") in page.content.decode()


def test_full_flow_signs_in_and_code_is_single_use(client, resident, gateway):
    page = client.get(reverse("phone_login"))
    assert page.status_code == 200 and 'type="tel"' in page.content.decode()

    response = ask(client)
    assert response.status_code == 302 and response["Location"] == reverse("phone_code")
    [sms] = gateway.sms
    assert sms["to"] == NUMBER and sms["sender"] == "社区应急"
    assert sms["headers"]["idempotency-key"] == sms["ref"]
    code = code_in(sms)
    assert sms["text"] == f"【社区应急】您的登录验证码是 {code}，5分钟内有效。请勿告诉他人。"

    page = client.get(reverse("phone_code"))
    html = page.content.decode()
    assert "138****0001" in html and NUMBER not in html
    assert 'inputmode="numeric"' in html and 'autocomplete="one-time-code"' in html

    response = client.post(reverse("phone_code"), {"code": code})
    assert response.status_code == 302 and response["Location"] == reverse("dashboard")
    assert signed_in_as(client) == str(resident.user.pk)
    assert SESSION_KEY not in client.session
    assert client.get(reverse("dashboard")).status_code == 200
    otc = OneTimeCode.objects.get()
    assert otc.used_at is not None

    # The same code a second time, from another browser: refused.
    other = client.__class__()
    session = other.session
    session[SESSION_KEY] = crypto.encrypt(NUMBER)
    session.save()
    response = other.post(reverse("phone_code"), {"code": code})
    assert response.status_code == 200 and NEUTRAL in response.content.decode()
    assert signed_in_as(other) is None


def test_membership_of_the_household_is_enough(client, world, gateway):
    # Resident A1's record is not linked, but resident_a1 is a RESIDENT member of household A1.
    ask(client)
    [sms] = gateway.sms
    client.post(reverse("phone_code"), {"code": code_in(sms)})
    assert signed_in_as(client) == str(world.users["resident_a1"].pk)


def test_wrong_codes_kill_the_code_after_five(client, resident, gateway):
    ask(client)
    code = code_in(gateway.sms[0])
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(auth.MAX_ATTEMPTS):
        response = client.post(reverse("phone_code"), {"code": wrong})
        assert NEUTRAL in response.content.decode()
    assert OneTimeCode.objects.get().attempts == auth.MAX_ATTEMPTS
    response = client.post(reverse("phone_code"), {"code": code})
    assert NEUTRAL in response.content.decode()
    assert signed_in_as(client) is None


def test_expired_code_is_refused(client, resident, gateway):
    ask(client)
    code = code_in(gateway.sms[0])
    back_in_time(int(auth.CODE_LIFETIME.total_seconds()) + 1)
    response = client.post(reverse("phone_code"), {"code": code})
    assert NEUTRAL in response.content.decode()
    assert signed_in_as(client) is None


def test_only_the_newest_code_counts(client, resident, gateway):
    ask(client)
    first = code_in(gateway.sms[0])
    back_in_time(61)
    ask(client)
    second = code_in(gateway.sms[1])
    if first != second:
        assert NEUTRAL in client.post(reverse("phone_code"), {"code": first}).content.decode()
    client.post(reverse("phone_code"), {"code": second})
    assert signed_in_as(client) == str(resident.user.pk)


def test_rate_limits(client, resident, gateway):
    ask(client)
    response = ask(client)
    assert response.status_code == 200
    text = response.content.decode()
    assert re.search(r"Please wait (59|60) seconds before asking for another code", text)
    assert len(gateway.sms) == 1

    for _ in range(auth.HOURLY_LIMIT - 1):
        back_in_time(61)
        assert ask(client).status_code == 302
    assert len(gateway.sms) == auth.HOURLY_LIMIT
    back_in_time(61)
    response = ask(client)
    assert response.status_code == 200
    # The oldest of the five is 5 × 61 s old: the next code in 55 minutes.
    assert "Please try again in 55 minutes" in response.content.decode()
    assert len(gateway.sms) == auth.HOURLY_LIMIT
    assert OneTimeCode.objects.count() == auth.HOURLY_LIMIT


def test_unknown_number_gets_the_same_answer_and_no_sms(client, resident, gateway):
    known = client.__class__()
    ask(known)
    known_page = known.get(reverse("phone_code")).content.decode()

    response = ask(client, "13912345678")
    assert response.status_code == 302 and response["Location"] == reverse("phone_code")
    page = client.get(reverse("phone_code")).content.decode()
    assert "13912345678" not in page
    assert (without_tokens(page).replace("139****5678", "X")
            == without_tokens(known_page).replace("138****0001", "X"))
    assert len(gateway.sms) == 1  # only the known number's
    # The same limits apply, so they give nothing away either.
    assert "Please wait" in ask(client, "13912345678").content.decode()
    response = client.post(reverse("phone_code"), {"code": "123456"})
    assert NEUTRAL in response.content.decode() and signed_in_as(client) is None


def test_staff_accounts_do_not_sign_in_by_phone(client, world, gateway):
    world.resident_b1.user = world.users["staff_b"]
    world.resident_b1.save()
    ask(client, world.resident_b1.phone)
    assert client.get(reverse("phone_code")).status_code == 200  # same answer as ever
    assert gateway.sms == []


def test_code_is_not_stored_in_clear(client, resident, gateway):
    ask(client)
    code = code_in(gateway.sms[0])
    otc = OneTimeCode.objects.get()
    stored = " ".join(str(v) for v in OneTimeCode.objects.values().get().values())
    assert code not in stored and NUMBER not in stored
    assert otc.phone_hash == crypto.keyed_hash(NUMBER, "phone")
    assert len(otc.code_hash) == 64
    assert otc.expires - otc.created == auth.CODE_LIFETIME
    # Nor is the number in the session in clear.
    assert NUMBER not in str(dict(client.session))


@pytest.mark.parametrize("raw", ["13800000001", "+86 138 0000 0001", "+8613800000001",
                                 "0086-138-0000-0001", " 138 0000 0001 ", "86 13800000001",
                                 "(138) 0000-0001"])
def test_number_normalisation(raw):
    assert auth.normalise_phone(raw) == NUMBER


@pytest.mark.parametrize("raw", ["", "12345", "23800000001", "+1 415 555 0100", "1380000000",
                                 "138000000012"])
def test_not_a_mobile_number(raw):
    assert auth.normalise_phone(raw) == ""


def test_typed_with_country_code_and_spaces(client, resident, gateway):
    response = ask(client, "+86 138 0000 0001")
    assert response.status_code == 302
    [sms] = gateway.sms
    assert sms["to"] == NUMBER
    client.post(reverse("phone_code"), {"code": " ".join(code_in(sms))})  # "1 2 3 4 5 6" too
    assert signed_in_as(client) == str(resident.user.pk)


def test_number_on_record_with_spaces_is_found(client, resident, gateway):
    resident.phone = "+86 138-0000-0001"
    resident.save()
    ask(client, NUMBER)
    assert len(gateway.sms) == 1


def test_invalid_number_is_a_form_error(client, resident, gateway):
    response = ask(client, "12345")
    assert response.status_code == 200
    assert "Enter an 11-digit mobile number." in response.content.decode()
    assert OneTimeCode.objects.count() == 0


def test_code_page_without_a_number_goes_back(client, world):
    response = client.get(reverse("phone_code"))
    assert response.status_code == 302 and response["Location"] == reverse("phone_login")


def test_without_sms_gateway_the_page_says_so(client, world, settings):
    settings.RESILIENCE_SMS_URL = ""
    response = ask(client)
    assert response.status_code == 200
    assert "not available" in response.content.decode()
    assert OneTimeCode.objects.count() == 0


def test_english_resident_gets_english_text(client, resident, gateway):
    resident.language = "en"
    resident.save()
    ask(client)
    code = code_in(gateway.sms[0])
    assert gateway.sms[0]["text"] == auth.SMS_TEXT % {"code": code}


def test_password_sign_in_still_works(client, world):
    from resilience.core.testing import PASSWORD

    client.post(reverse("login"), {"username": "staff_a", "password": PASSWORD})
    assert signed_in_as(client) == str(world.users["staff_a"].pk)


def test_backend_ignores_other_credentials(world):
    backend = auth.PhoneCodeBackend()
    assert backend.authenticate(None, phone=NUMBER, code=None) is None
    assert backend.get_user(world.users["resident_a1"].pk) == world.users["resident_a1"]


def test_old_codes_are_purged(client, resident, gateway):
    ask(client)
    back_in_time(int(auth.KEEP_CODES.total_seconds()) + 1)
    ask(client)
    assert OneTimeCode.objects.count() == 1
