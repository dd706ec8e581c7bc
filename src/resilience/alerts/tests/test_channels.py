"""The real channels over real loopback sockets: SMS, robots and the webhook against the fake
gateway, e-mail against an aiosmtpd server. No HTTP or SMTP is mocked."""
from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import hmac
import json
import socket
import time
from email import message_from_bytes, policy
from urllib.parse import quote_plus, unquote_plus

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from resilience.alerts import channels, delivery
from resilience.alerts.channels import PermanentFailure, TemporaryFailure
from resilience.alerts.channels.webhook import verify_signature
from resilience.alerts.fakegateway import FakeGateway
from resilience.alerts.messages import render
from resilience.alerts.models import AlertRecipient, Delivery, Endpoint
from resilience.alerts.tests.test_delivery import issued
from resilience.alerts.vocab import DeliveryStatus

FAST = 0.3  # seconds: the channel timeout in timeout tests, against a gateway delay of 2×


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def gateway():
    with FakeGateway() as gw:
        yield gw


@pytest.fixture
def alert(world):
    return issued(world, headline="火警 & 疏散", description="3号楼起火，烟雾较大")


@pytest.fixture
def fresh_channels():
    channels.reset()
    yield channels
    channels.reset()


def delivery_for(alert, channel: str, **recipient) -> Delivery:
    fields = {"kind": "resident", "language": "zh-hans", **recipient}
    fields.setdefault("key", f"{fields['kind']}:{AlertRecipient.objects.count() + 1}")
    rec = AlertRecipient.objects.create(alert=alert, **fields)
    return Delivery.objects.create(alert=alert, recipient=rec, channel=channel)


def send(name: str, d: Delivery) -> str:
    return channels.get(name).send(d, render(d.alert, d.recipient, name))


# -- SMS --------------------------------------------------------------------------------------
@pytest.fixture
def sms(settings, gateway, fresh_channels):
    settings.RESILIENCE_SMS_URL = gateway.sms_url
    settings.RESILIENCE_SMS_KEY = gateway.sms_key = "gateway-key"
    settings.RESILIENCE_SMS_SENDER = "南京东路街道"
    return channels.get("sms")


def test_sms_is_off_without_a_gateway_url(settings, fresh_channels):
    settings.RESILIENCE_SMS_URL = ""
    assert not channels.get("sms").enabled()


def test_sms_reaches_the_gateway_with_key_ref_and_chinese_text_intact(sms, gateway, world, alert):
    d = delivery_for(alert, "sms", resident=world.resident_a1)
    provider_ref = send("sms", d)
    [got] = gateway.sms
    assert provider_ref == got["id"]
    assert got["to"] == "13800000001" and got["sender"] == "南京东路街道"
    assert "火警" in got["text"] and "3号楼" not in got["text"]  # the short SMS template
    assert d.recipient.token in got["text"]
    assert got["ref"] == d.ref == got["headers"]["idempotency-key"]
    assert got["headers"]["authorization"] == "Bearer gateway-key"
    assert "utf-8" in got["headers"]["content-type"]


def test_sms_text_is_not_html_escaped(sms, gateway, world, alert):
    send("sms", delivery_for(alert, "sms", resident=world.resident_a1))
    assert "火警 & 疏散" in gateway.sms[0]["text"]


def test_sms_sent_twice_with_one_ref_is_kept_once_and_both_count_as_sent(sms, gateway, world,
                                                                          alert):
    d = delivery_for(alert, "sms", resident=world.resident_a1)
    first, second = send("sms", d), send("sms", d)
    assert first == second and len(gateway.sms) == 1 and gateway.duplicates == 1


def test_sms_goes_to_the_emergency_contact_and_the_volunteer(sms, gateway, world, alert):
    resident = world.resident_a1
    resident.emergency_contact_name, resident.emergency_contact_phone = "女儿", "+86 139-1234-5678"
    resident.save()
    send("sms", delivery_for(alert, "sms", kind="emergency_contact", resident=resident))
    send("sms", delivery_for(alert, "sms", kind="volunteer", volunteer=world.volunteer_a,
                             user=world.volunteer_a.user))
    assert [m["to"] for m in gateway.sms] == ["13912345678", "13900000000"]


@pytest.mark.parametrize("recipient, reason", [
    ({"kind": "staff"}, "no phone number on record"),
    ({"kind": "resident", "phone": ""}, "no phone number on record"),
    ({"kind": "resident", "phone": "021-6321 0000"}, "not a mainland mobile number"),
])
def test_sms_without_a_mobile_number_fails_permanently(sms, gateway, world, alert, recipient,
                                                       reason):
    resident = world.resident_a2
    if "phone" in recipient:
        resident.phone = recipient.pop("phone")
        resident.save()
        recipient["resident"] = resident
    with pytest.raises(PermanentFailure, match=reason):
        send("sms", delivery_for(alert, "sms", **recipient))
    assert gateway.sms == []


@pytest.mark.parametrize("status, failure", [
    (500, TemporaryFailure), (503, TemporaryFailure), (429, TemporaryFailure),
    (400, PermanentFailure), (403, PermanentFailure)])
def test_sms_gateway_errors_are_temporary_or_permanent(sms, gateway, world, alert, status,
                                                       failure):
    gateway.fail_next(1, status, {"error": "quota exceeded"})
    with pytest.raises(failure, match=f"HTTP {status}: .*quota exceeded"):
        send("sms", delivery_for(alert, "sms", resident=world.resident_a1))


def test_sms_with_a_wrong_key_is_refused_permanently(sms, gateway, world, alert, settings):
    settings.RESILIENCE_SMS_KEY = "stale"
    with pytest.raises(PermanentFailure, match="HTTP 401"):
        send("sms", delivery_for(alert, "sms", resident=world.resident_a1))
    assert gateway.sms == []


def test_sms_timeout_is_temporary_and_the_retry_is_not_sent_twice(sms, gateway, world, alert):
    sms.timeout, gateway.delay = FAST, 2 * FAST
    d = delivery_for(alert, "sms", resident=world.resident_a1)
    with pytest.raises(TemporaryFailure, match="no answer within"):
        send("sms", d)
    gateway.delay = 0
    assert send("sms", d) == gateway.sms[0]["id"]  # the gateway had it: 409, which is success
    assert len(gateway.sms) == 1 and gateway.duplicates == 1


def test_sms_to_a_gateway_that_is_down_is_temporary(sms, world, alert, settings):
    settings.RESILIENCE_SMS_URL = f"http://127.0.0.1:{free_port()}/sms"
    with pytest.raises(TemporaryFailure, match="connection failed"):
        send("sms", delivery_for(alert, "sms", resident=world.resident_a1))


def test_a_gateway_500_is_retried_by_send_due_and_each_sms_sent_exactly_once(
        settings, gateway, world, fresh_channels):
    settings.RESILIENCE_ALERT_CHANNELS = ["sms"]
    settings.RESILIENCE_SMS_URL, settings.RESILIENCE_SMS_KEY = gateway.sms_url, ""
    alert = issued(world)
    assert delivery.fan_out(alert) == 3  # residents A1 and A2, and volunteer A
    gateway.fail_next(1, 500)
    counts = delivery.send_due("sms", "w1")
    assert counts["retried"] == 1 and counts["sent"] == 2
    waiting = Delivery.objects.get(alert=alert, status=DeliveryStatus.QUEUED)
    assert "HTTP 500" in waiting.last_error
    later = lambda: timezone.now() + dt.timedelta(minutes=10)  # noqa: E731
    assert delivery.send_due("sms", "w1", clock=later)["sent"] == 1
    rows = Delivery.objects.filter(alert=alert)
    assert set(rows.values_list("status", flat=True)) == {DeliveryStatus.SENT}
    assert sorted(m["ref"] for m in gateway.sms) == sorted(d.ref for d in rows)
    assert gateway.duplicates == 0
    assert {m["id"] for m in gateway.sms} == set(rows.values_list("provider_ref", flat=True))


def test_answers_lost_to_timeouts_are_retried_and_never_texted_twice(settings, gateway, world,
                                                                     fresh_channels):
    settings.RESILIENCE_ALERT_CHANNELS = ["sms"]
    settings.RESILIENCE_SMS_URL, settings.RESILIENCE_SMS_KEY = gateway.sms_url, ""
    channels.get("sms").timeout, gateway.delay = FAST / 3, FAST
    alert = issued(world)
    delivery.fan_out(alert)
    assert delivery.send_due("sms", "w1")["retried"] == 3  # all kept, every answer too late
    gateway.delay = 0
    later = lambda: timezone.now() + dt.timedelta(minutes=10)  # noqa: E731
    assert delivery.send_due("sms", "w1", clock=later)["sent"] == 3
    assert len(gateway.sms) == 3 and gateway.duplicates == 3


# -- e-mail -----------------------------------------------------------------------------------
class Inbox:
    """An aiosmtpd handler that keeps messages; ``rcpt_reply`` refuses recipients."""

    def __init__(self):
        self.envelopes: list = []
        self.rcpt_reply = ""
        self.data_delay = 0.0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.data_delay)
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def message(self, n: int = 0):
        return message_from_bytes(self.envelopes[n].content, policy=policy.default)


@pytest.fixture
def smtp(settings, fresh_channels):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.DEFAULT_FROM_EMAIL = "Community A <warnings@resilience.example>"
    yield inbox
    controller.stop()


@pytest.fixture
def staff_email(world):
    user = world.staff_a
    user.email = "staff-a@example.org"
    user.save()
    return user


def test_email_is_off_without_an_smtp_host(settings, fresh_channels):
    settings.EMAIL_HOST = ""
    assert not channels.get("email").enabled()


def test_email_arrives_in_utf8_with_a_message_id_from_the_ref(smtp, world, alert, staff_email):
    d = delivery_for(alert, "email", kind="staff", user=staff_email)
    provider_ref = send("email", d)
    mail = smtp.message()
    assert smtp.envelopes[0].rcpt_tos == ["staff-a@example.org"]
    assert mail["Message-ID"] == provider_ref == f"<{d.ref}@resilience.example>"
    assert "火警 & 疏散" in mail["Subject"]
    body = mail.get_body().get_content()
    assert "3号楼起火，烟雾较大" in body and "&amp;" not in body and d.recipient.token in body


def test_an_email_retry_is_resent_with_the_same_message_id(smtp, world, alert, staff_email):
    d = delivery_for(alert, "email", kind="staff", user=staff_email)
    send("email", d)
    send("email", d)  # SMTP cannot de-duplicate: documented, and recognisable by its id
    assert smtp.message(0)["Message-ID"] == smtp.message(1)["Message-ID"]


@pytest.mark.parametrize("reply, failure", [
    ("550 5.1.1 No such user", PermanentFailure), ("451 4.3.0 Try again later", TemporaryFailure)])
def test_email_refusals_are_permanent_for_5xx_and_temporary_for_4xx(
        smtp, world, alert, staff_email, reply, failure):
    smtp.rcpt_reply = reply
    with pytest.raises(failure, match=reply[:3]):
        send("email", delivery_for(alert, "email", kind="staff", user=staff_email))


def test_email_timeout_and_a_dead_server_are_temporary(smtp, world, alert, staff_email,
                                                       settings):
    channels.get("email").timeout, smtp.data_delay = FAST, 2 * FAST
    with pytest.raises(TemporaryFailure):
        send("email", delivery_for(alert, "email", kind="staff", user=staff_email))
    settings.EMAIL_PORT = free_port()
    with pytest.raises(TemporaryFailure, match="SMTP connection"):
        send("email", delivery_for(alert, "email", kind="grid_worker", user=staff_email))


def test_email_without_an_address_fails_permanently(smtp, world, alert):
    with pytest.raises(PermanentFailure, match="no e-mail address"):
        send("email", delivery_for(alert, "email", kind="staff", user=world.staff_b))
    assert smtp.envelopes == []


# -- robots -----------------------------------------------------------------------------------
def group(alert, gateway, channel: str, secret: str = "", query: str = "") -> Delivery:
    endpoint = Endpoint.objects.create(community=alert.community, name=channel, channel=channel,
                                       url=gateway.hook_url(channel) + query, secret=secret)
    return delivery_for(alert, channel, kind="group", endpoint=endpoint, key=f"endpoint:{channel}")


def test_wecom_posts_markdown_with_the_headline_and_the_board(gateway, alert, fresh_channels):
    send("wecom", group(alert, gateway, "wecom"))
    [post] = gateway.hooks
    assert post["body"]["msgtype"] == "markdown"
    content = post["body"]["markdown"]["content"]
    assert "火警 & 疏散" in content and f"/alerts/{alert.pk}/" in content
    assert "idempotency-key" not in post["headers"]  # robots have none: see docs/channels.md


@pytest.mark.parametrize("answer, failure, reason", [
    ({"errcode": 45009, "errmsg": "api freq out of limit"}, TemporaryFailure, "45009"),
    ({"errcode": 93000, "errmsg": "invalid webhook url"}, PermanentFailure, "invalid webhook url"),
    ({"unexpected": True}, PermanentFailure, "without a result code")])
def test_wecom_answers_map_to_failures(gateway, alert, fresh_channels, answer, failure, reason):
    gateway.fail_next(1, 200, answer)
    with pytest.raises(failure, match=reason):
        send("wecom", group(alert, gateway, "wecom"))


def test_wecom_http_errors_and_a_repeat_post(gateway, alert, fresh_channels):
    d = group(alert, gateway, "wecom")
    gateway.fail_next(1, 502)
    with pytest.raises(TemporaryFailure, match="HTTP 502"):
        send("wecom", d)
    send("wecom", d)
    send("wecom", d)
    assert len(gateway.hooks) == 2  # a robot cannot de-duplicate a retry (documented)


def test_dingtalk_signs_the_url_as_dingtalk_documents(gateway, alert, fresh_channels):
    secret = "SEC0123456789abcdef"
    gateway.secure("dingtalk", secret, scheme="dingtalk")
    send("dingtalk", group(alert, gateway, "dingtalk", secret, query="?access_token=tok"))
    [post] = gateway.hooks
    query = post["query"]
    assert query["access_token"] == ["tok"]
    stamp = query["timestamp"][0]
    assert abs(int(stamp) - time.time() * 1000) < 60_000  # milliseconds
    expected = base64.b64encode(hmac.new(secret.encode(), f"{stamp}\n{secret}".encode(),
                                         hashlib.sha256).digest())
    assert query["sign"] == [unquote_plus(quote_plus(expected))] == [expected.decode()]
    assert post["body"]["msgtype"] == "markdown"
    assert post["body"]["markdown"]["title"].endswith("火警 & 疏散")
    assert "3号楼起火" in post["body"]["markdown"]["text"]


@pytest.mark.parametrize("answer, failure", [
    ({"errcode": 130101, "errmsg": "send too fast"}, TemporaryFailure),
    ({"errcode": 310000, "errmsg": "keywords not in content"}, PermanentFailure)])
def test_dingtalk_answers_map_to_failures(gateway, alert, fresh_channels, answer, failure):
    gateway.fail_next(1, 200, answer)
    with pytest.raises(failure, match=answer["errmsg"]):
        send("dingtalk", group(alert, gateway, "dingtalk"))


def test_dingtalk_with_a_wrong_secret_is_refused_permanently(gateway, alert, fresh_channels):
    gateway.secure("dingtalk", "the-real-secret", scheme="dingtalk")
    with pytest.raises(PermanentFailure, match="HTTP 401"):
        send("dingtalk", group(alert, gateway, "dingtalk", "an-old-secret"))
    assert gateway.hooks == []


def test_feishu_signs_the_body_as_feishu_documents(gateway, alert, fresh_channels):
    secret = "feishu-secret"
    gateway.secure("feishu", secret, scheme="feishu")
    send("feishu", group(alert, gateway, "feishu", secret))
    body = gateway.hooks[0]["body"]
    stamp = body["timestamp"]
    assert abs(int(stamp) - time.time()) < 60  # seconds
    key = f"{stamp}\n{secret}".encode()
    assert body["sign"] == base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    assert body["msg_type"] == "text" and "火警 & 疏散" in body["content"]["text"]


@pytest.mark.parametrize("status, answer, failure", [
    (200, {"StatusCode": 0, "StatusMessage": "success"}, None),
    (200, {"code": 11232, "msg": "frequency limited"}, TemporaryFailure),
    (400, {"code": 9499, "msg": "Too Many Request"}, TemporaryFailure),
    (400, {"code": 19021, "msg": "sign match fail or timestamp is not within one hour"},
     PermanentFailure),
    (400, None, PermanentFailure)])
def test_feishu_answers_map_to_failures(gateway, alert, fresh_channels, status, answer, failure):
    gateway.fail_next(1, status, answer)
    d = group(alert, gateway, "feishu")
    if failure is None:
        assert send("feishu", d) == ""
    else:
        with pytest.raises(failure):
            send("feishu", d)


def test_a_robot_delivery_without_an_endpoint_fails_permanently(gateway, world, alert,
                                                                fresh_channels):
    for name in ("wecom", "dingtalk", "feishu", "webhook"):
        with pytest.raises(PermanentFailure, match="not a group endpoint"):
            send(name, delivery_for(alert, name, resident=world.resident_a1))


# -- signed webhook ---------------------------------------------------------------------------
def test_webhook_posts_the_alert_signed_with_its_cap_link(settings, gateway, alert,
                                                          fresh_channels):
    settings.RESILIENCE_PUBLIC_URL = "https://warn.example.org"
    gateway.secure("webhook", "hook-secret")
    d = group(alert, gateway, "webhook", "hook-secret")
    provider_ref = send("webhook", d)
    [post] = gateway.hooks
    body, headers = post["body"], post["headers"]
    assert provider_ref == post["id"] and body["ref"] == d.ref == headers["idempotency-key"]
    assert body["cap_url"] == f"https://warn.example.org/cap/alerts/{alert.identifier}.xml"
    assert body["alert"]["identifier"] == alert.identifier
    assert body["alert"]["headline"] == "火警 & 疏散" and body["alert"]["level"] == 3
    assert body["alert"]["community"] == "comm-a" and body["language"] == "zh-hans"
    assert "3号楼起火" in body["text"] and "火警" in post["raw"]  # UTF-8, not \u escapes
    stamp, signed = headers["x-resilience-timestamp"], headers["x-resilience-signature"]
    assert signed == "sha256=" + hmac.new(b"hook-secret", f"{stamp}.{post['raw']}".encode(),
                                          hashlib.sha256).hexdigest()
    assert verify_signature("hook-secret", stamp, post["raw"], signed)
    tampered = post["raw"].replace("火警", "演习")
    assert not verify_signature("hook-secret", stamp, tampered, signed)
    assert not verify_signature("other-secret", stamp, post["raw"], signed)
    assert not verify_signature("hook-secret", int(stamp) - 600, post["raw"], signed)


def test_webhook_with_a_wrong_secret_is_refused_and_a_retry_is_kept_once(gateway, alert,
                                                                          fresh_channels):
    gateway.secure("webhook", "right")
    d = group(alert, gateway, "webhook", "wrong")
    with pytest.raises(PermanentFailure, match="HTTP 401"):
        send("webhook", d)
    endpoint = d.recipient.endpoint
    endpoint.secret = "right"
    endpoint.save()
    first, second = send("webhook", d), send("webhook", d)
    assert first == second and len(gateway.hooks) == 1 and gateway.duplicates == 1


def test_webhook_timeout_is_temporary_and_500_too(gateway, alert, fresh_channels):
    d = group(alert, gateway, "webhook")
    channels.get("webhook").timeout, gateway.delay = FAST, 2 * FAST
    with pytest.raises(TemporaryFailure, match="no answer"):
        send("webhook", d)
    gateway.delay = 0
    gateway.fail_next(1, 500)
    with pytest.raises(TemporaryFailure, match="HTTP 500"):
        send("webhook", d)


def test_webhook_text_is_the_plain_message(gateway, alert, fresh_channels):
    send("webhook", group(alert, gateway, "webhook"))
    text = json.loads(gateway.hooks[0]["raw"])["text"]
    assert text.startswith("【Community A·") and "&amp;" not in text
