"""Acknowledging: the link in a message (no account), the in-app inbox and the live banner."""
from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from resilience.alerts import channels
from resilience.alerts.models import Alert, AlertRecipient, Delivery
from resilience.alerts.tests.test_board import row_of, send
from resilience.alerts.vocab import AckMethod, DeliveryStatus, State

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "alert-banner"}


@pytest.fixture
def alert(world, settings):
    yield send(world, settings)
    channels.reset()


def a1(alert) -> AlertRecipient:
    return row_of(alert, "Resident A1")


def link(recipient, query: str = "") -> str:
    return reverse("ack", args=[recipient.token]) + query


# -- the link ---------------------------------------------------------------------------------
def test_the_link_shows_the_alert_in_the_recipients_language_and_changes_nothing(
        world, settings):
    alert = send(world, settings, resident_language="en")
    recipient = a1(alert)
    assert recipient.language == "en"
    response = Client().get(link(recipient))
    html = response.content.decode()
    assert response.status_code == 200 and response["Content-Language"] == "en"
    assert '<html lang="en">' in html and "Fire in building 3" in html
    assert "Leave by the stairs" in html and "I have received this warning" in html
    assert "I need help" in html and 'data-level="3"' in html and "level-yellow" in html
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "no-referrer"
    recipient.refresh_from_db()
    assert recipient.acknowledged_at is None and recipient.reached_at is not None
    assert Client().head(link(recipient)).status_code == 200


def test_the_link_is_chinese_for_a_chinese_recipient_and_switches_on_request(world, alert):
    recipient = a1(alert)
    html = Client().get(link(recipient)).content.decode()
    assert '<html lang="zh-hans">' in html and "3号楼起火" in html and "请沿楼梯撤离" in html
    html = Client().get(link(recipient, "?lang=en")).content.decode()
    assert '<html lang="en">' in html and "Fire in building 3" in html


def test_posting_the_link_acknowledges_once(world, alert):
    recipient = a1(alert)
    client = Client(enforce_csrf_checks=True)  # no session: the token is the authority
    response = client.post(link(recipient, "?lang=en"))
    assert response.status_code == 303 and response["Location"] == link(recipient, "?lang=en")
    recipient.refresh_from_db()
    first = recipient.acknowledged_at
    assert first and recipient.ack_method == AckMethod.LINK and not recipient.needs_help
    client.post(link(recipient))
    recipient.refresh_from_db()
    assert recipient.acknowledged_at == first
    html = client.get(link(recipient, "?lang=en")).content.decode()
    assert "Acknowledged at" in html and "I have received this warning" not in html


def test_i_need_help_flags_the_recipient_with_the_note(world, alert):
    recipient = a1(alert)
    Client().post(link(recipient), {"needs_help": "on", "note": "I use a wheelchair"})
    recipient.refresh_from_db()
    assert recipient.needs_help and recipient.ack_note == "I use a wheelchair"
    assert recipient.acknowledged_at
    html = Client().get(link(recipient, "?lang=en")).content.decode()
    assert "told the community staff that you need help" in html
    assert 'data-ack="help"' not in html


def test_help_after_acknowledging_still_counts(world, alert):
    recipient = a1(alert)
    Client().post(link(recipient))
    Client().post(link(recipient), {"needs_help": "on"})
    recipient.refresh_from_db()
    assert recipient.needs_help and recipient.ack_method == AckMethod.LINK


def test_a_too_long_note_is_refused_and_nothing_recorded(world, alert):
    recipient = a1(alert)
    response = Client().post(link(recipient), {"needs_help": "on", "note": "x" * 301})
    assert response.status_code == 400
    recipient.refresh_from_db()
    assert recipient.acknowledged_at is None and not recipient.needs_help


def test_an_unknown_token_is_not_found(world, alert):
    assert Client().get("/a/not-a-real-token").status_code == 404
    assert Client().post("/a/not-a-real-token").status_code == 404


@pytest.mark.parametrize("state", [State.CANCELLED, State.EXPIRED])
def test_a_cancelled_or_expired_alert_still_shows_marked_as_such(world, alert, state):
    Alert.objects.filter(pk=alert.pk).update(state=state)
    html = Client().get(link(a1(alert), "?lang=en")).content.decode()
    assert f'data-state="{state}"' in html and "Fire in building 3" in html


# -- in the app -------------------------------------------------------------------------------
def test_the_inbox_lists_the_users_sent_in_app_alerts_open_first(world, alert, client):
    client.force_login(world.users["resident_a1"])
    response = client.get(reverse("alerts:inbox"))
    items = response.context["items"]
    assert [i["recipient"].pk for i in items] == [a1(alert).pk]
    assert reverse("alerts:inbox_ack", args=[a1(alert).pk]).encode() in response.content
    client.force_login(world.users["staff_a"])  # staff see their own receipt, not the others'
    items = client.get(reverse("alerts:inbox")).context["items"]
    assert [i["recipient"].name for i in items] == ["staff_a"]


def test_an_unsent_in_app_message_is_not_in_the_inbox_yet(world, alert, client):
    Delivery.objects.filter(alert=alert).update(status=DeliveryStatus.QUEUED)
    client.force_login(world.users["resident_a1"])
    assert client.get(reverse("alerts:inbox")).context["items"] == []
    assert client.get(reverse("alerts:banner")).content == b""


def test_acknowledging_in_the_inbox_uses_the_app_method(world, alert, client):
    client.force_login(world.users["resident_a1"])
    response = client.post(reverse("alerts:inbox_ack", args=[a1(alert).pk]), {"needs_help": ""})
    assert response.status_code == 302
    recipient = a1(alert)
    assert recipient.ack_method == AckMethod.APP and recipient.acknowledged_by == world.users[
        "resident_a1"] and not recipient.needs_help
    client.post(reverse("alerts:inbox_ack", args=[recipient.pk]), {"needs_help": "on"})
    assert a1(alert).needs_help


def test_no_one_acknowledges_someone_elses_receipt_in_the_app(world, alert, client):
    client.force_login(world.users["staff_a"])
    assert client.post(reverse("alerts:inbox_ack", args=[a1(alert).pk])).status_code == 404
    assert client.get(reverse("alerts:inbox_ack", args=[a1(alert).pk])).status_code == 405
    assert a1(alert).acknowledged_at is None


def test_the_banner_shows_the_newest_open_alert_until_acknowledged(world, alert, client):
    client.force_login(world.users["resident_a1"])
    response = client.get(reverse("alerts:banner"), **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and "level-yellow" in html and "Fire" in html
    assert reverse("alerts:inbox") in html
    response = client.post(reverse("alerts:inbox_ack", args=[a1(alert).pk]), {"needs_help": ""},
                           **HTMX)
    assert response.status_code == 200 and response.content == b""
    assert client.get(reverse("alerts:banner")).content == b""


def test_the_banner_is_empty_when_signed_out_or_without_alerts(world, alert, client):
    assert client.get(reverse("alerts:banner")).content == b""
    client.force_login(world.users["outsider"])
    assert client.get(reverse("alerts:banner")).content == b""


def test_every_signed_in_page_polls_the_banner(world, alert, client):
    client.force_login(world.users["resident_a1"])
    html = client.get(reverse("dashboard")).content.decode()
    assert 'id="alert-banner"' in html and 'hx-trigger="load, every 2s"' in html
    assert reverse("alerts:banner") in html
    client.logout()
    assert 'id="alert-banner"' not in client.get(reverse("login")).content.decode()
