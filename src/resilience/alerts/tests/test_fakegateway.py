"""The fake gateway itself, over real loopback HTTP: what the channel tests, the demo and the
reliability proof rely on (de-duplication, faults, signatures, thread safety)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from resilience.alerts.channels.webhook import signature
from resilience.alerts.fakegateway import FakeGateway


@pytest.fixture
def gateway():
    with FakeGateway(sms_key="k") as gw:
        yield gw


WEB = httpx.Client(timeout=5)  # one client: creating one per request costs ~0.1 s of TLS setup


def post_sms(gw: FakeGateway, ref: str = "tok.sms", key: str = "k", **body) -> httpx.Response:
    body = {"to": "13800000001", "text": "【演练】火警，请撤离", "ref": ref, **body}
    return WEB.post(gw.sms_url, json=body,
                    headers={"Authorization": f"Bearer {key}", "Idempotency-Key": ref})


def test_an_sms_is_kept_and_a_repeat_of_its_ref_is_refused_with_the_first_id(gateway):
    first = post_sms(gateway)
    assert first.status_code == 200
    again = post_sms(gateway, text="changed")
    assert again.status_code == 409 and again.json()["id"] == first.json()["id"]
    assert [m["text"] for m in gateway.sms] == ["【演练】火警，请撤离"]
    assert gateway.duplicates == 1


def test_an_sms_with_a_wrong_key_or_no_number_is_refused_and_not_kept(gateway):
    assert post_sms(gateway, key="wrong").status_code == 401
    assert post_sms(gateway, to="not a number").status_code == 400
    assert WEB.post(gateway.sms_url, content=b"{",
                    headers={"Authorization": "Bearer k"}).status_code == 400
    assert gateway.sms == []


def test_injected_faults_answer_the_next_posts_and_keep_nothing(gateway):
    gateway.fail_next(2, status=503)
    assert [post_sms(gateway, ref=f"r{n}").status_code for n in range(3)] == [503, 503, 200]
    assert [m["ref"] for m in gateway.sms] == ["r2"]
    gateway.fail_next(1, 200, {"errcode": 45009})
    assert WEB.post(gateway.hook_url("g"), json={}).json() == {"errcode": 45009}


def test_a_delayed_answer_comes_late_but_the_message_was_kept(gateway):
    gateway.delay = 0.3
    with pytest.raises(httpx.ReadTimeout):
        WEB.post(gateway.sms_url, json={"to": "13800000001", "text": "t"}, timeout=0.1,
                 headers={"Authorization": "Bearer k", "Idempotency-Key": "slow"})
    assert [m["ref"] for m in gateway.sms] == ["slow"]
    gateway.delay = 0
    assert post_sms(gateway, ref="slow").status_code == 409


def test_hooks_are_kept_with_headers_and_answered_like_the_robots(gateway):
    answer = WEB.post(gateway.hook_url("ops") + "?access_token=t",
                        json={"msgtype": "markdown", "markdown": {"content": "## 火警"}})
    assert answer.json()["errcode"] == answer.json()["code"] == answer.json()["StatusCode"] == 0
    [hook] = gateway.hooks
    assert hook["name"] == "ops" and hook["text"] == "## 火警"
    assert hook["query"] == {"access_token": ["t"]} and "content-type" in hook["headers"]


def test_a_secured_hook_checks_the_webhook_signature(gateway):
    gateway.secure("sys", "s3cret")
    body = json.dumps({"ref": "x.webhook", "text": "火警"}, ensure_ascii=False).encode()
    stamp = str(int(time.time()))
    good = {"X-Resilience-Timestamp": stamp, "Idempotency-Key": "x.webhook",
            "X-Resilience-Signature": signature("s3cret", stamp, body),
            "Content-Type": "application/json"}
    tampered = body.replace("火警".encode(), "演习".encode())
    assert WEB.post(gateway.hook_url("sys"), content=tampered, headers=good).status_code == 401
    assert WEB.post(gateway.hook_url("sys"), content=body, headers=good).status_code == 200
    again = WEB.post(gateway.hook_url("sys"), content=body, headers=good)
    assert again.status_code == 409  # the same Idempotency-Key
    assert len(gateway.hooks) == 1 and gateway.duplicates == 1


def test_concurrent_repeats_of_one_ref_are_kept_exactly_once(gateway):
    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(lambda _n: post_sms(gateway, ref="same").status_code, range(24)))
    assert codes.count(200) == 1 and codes.count(409) == 23
    assert len(gateway.sms) == 1 and gateway.duplicates == 23


def test_the_page_lists_sms_newest_first_with_links_and_messages_as_json(gateway):
    post_sms(gateway, ref="a", text="first <b> http://127.0.0.1:8000/a/tok1")
    post_sms(gateway, ref="b", text="second http://127.0.0.1:8000/a/tok2")
    page = WEB.get(gateway.url + "/").text
    assert page.index("second") < page.index("first")
    assert '<a href="http://127.0.0.1:8000/a/tok2">' in page and "&lt;b&gt;" in page
    assert "138****0001" in page
    listed = WEB.get(gateway.url + "/messages").json()
    assert [m["ref"] for m in listed] == ["a", "b"]
    gateway.clear()
    assert gateway.messages == [] and gateway.duplicates == 0


def test_stop_frees_the_port_and_the_record_survives(gateway):
    post_sms(gateway)
    gateway.stop()
    with pytest.raises(httpx.ConnectError):
        post_sms(gateway)
    assert len(gateway.sms) == 1


def test_it_runs_standalone_and_prints_what_it_receives():
    with FakeGateway() as probe:  # a free port: take it, give it back
        port = probe.port
    process = subprocess.Popen([sys.executable, "-m", "resilience.alerts.fakegateway",
                                "--port", str(port), "--secret", "feishu:ops=s"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    try:
        assert f"127.0.0.1:{port}" in process.stdout.readline()  # "" (no hang) if it died
        answer = WEB.post(f"http://127.0.0.1:{port}/sms",
                          json={"to": "13800000001", "text": "火警", "ref": "r1"})
        assert answer.status_code == 200
        assert WEB.post(f"http://127.0.0.1:{port}/hook/ops",
                        json={"msg_type": "text"}).status_code == 401  # unsigned: refused
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=10)
    assert "SMS to 13800000001 (ref r1):\n  火警" in output
    assert process.returncode == 0
