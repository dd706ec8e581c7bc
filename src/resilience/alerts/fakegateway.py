"""A fake SMS gateway and robot/webhook receiver on loopback: for the tests, the demo and the
reliability proof, so that every channel is exercised over real HTTP without a provider.

- ``POST /sms`` behaves like the gateway adapter of docs/channels.md: checks the bearer key (if
  one was given), refuses a repeated ``ref`` with 409 and the first id, keeps what it accepted.
- ``POST /hook/<name>`` receives a robot or webhook post and answers the way WeCom, DingTalk and
  Feishu answer success; if a secret was registered for ``name`` (``secure``) the signature is
  checked (webhook, DingTalk or Feishu scheme) and a wrong one gets 401. A repeated
  ``Idempotency-Key`` (webhooks send one) gets 409 with the first id.
- ``GET /messages`` lists everything as JSON; ``GET /`` is a page of the SMS "the phones" got.

Faults for tests: ``fail_next(n, status)`` answers the next ``n`` posts with an error and keeps
nothing; ``delay`` holds every answer that many seconds *after* the message was kept — a gateway
that accepted but answered too late, the case idempotency keys exist for.

Standalone: ``python -m resilience.alerts.fakegateway --port 8025`` prints what it receives.
"""
from __future__ import annotations

import argparse
import html
import json
import re
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

SCHEMES = ("webhook", "dingtalk", "feishu")
SUCCESS = {"errcode": 0, "errmsg": "ok", "code": 0, "msg": "success", "StatusCode": 0}


def _json(status: int, data) -> tuple[int, str, bytes]:
    return status, "application/json; charset=utf-8", json.dumps(data, ensure_ascii=False).encode()


def _masked(number: str) -> str:
    return number[:3] + "****" + number[-4:] if len(number) >= 11 else number


def signature_ok(scheme: str, secret: str, headers: dict, query: dict, raw: bytes) -> bool:
    """Whether a post carries a valid signature by ``scheme``'s rules (our channels' code)."""
    if scheme == "webhook":
        from resilience.alerts.channels.webhook import verify_signature

        return verify_signature(secret, headers.get("x-resilience-timestamp", ""), raw,
                                headers.get("x-resilience-signature", ""))
    if scheme == "dingtalk":
        from urllib.parse import unquote_plus

        from resilience.alerts.channels.dingtalk import sign

        stamp, given = query.get("timestamp", [""])[0], query.get("sign", [""])[0]
        return stamp.isdigit() and abs(time.time() * 1000 - int(stamp)) < 3600_000 \
            and unquote_plus(sign(secret, int(stamp))) == given
    from resilience.alerts.channels.feishu import sign

    try:
        body = json.loads(raw)
        stamp = int(body["timestamp"])
    except (ValueError, KeyError, TypeError):
        return False
    return abs(time.time() - stamp) < 3600 and sign(secret, stamp) == body.get("sign")


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a handler still sleeping out ``delay`` never holds up stop()
    request_queue_size = 128  # the default 5 drops concurrent connects for a second


class FakeGateway:
    """The fake, in a daemon thread; thread-safe. Use as a context manager or start()/stop()."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, sms_key: str = "",
                 on_message: Callable[[dict], None] | None = None) -> None:
        self.host, self.port, self.sms_key, self.on_message = host, port, sms_key, on_message
        self.delay = 0.0
        self._lock = threading.Lock()
        self._messages: list[dict] = []
        self._ids: dict[tuple[str, str], str] = {}  # (path, ref) → id of the first accepted
        self._secrets: dict[str, tuple[str, str]] = {}  # hook name → (scheme, secret)
        self._faults: list[tuple[int, dict | None]] = []
        self._duplicates = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- life ---------------------------------------------------------------------------------
    def start(self) -> FakeGateway:
        handler = type("Handler", (_Handler,), {"gateway": self})
        self._server = _Server((self.host, self.port), handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        name="fake-gateway", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(5)
            self._server = None

    def __enter__(self) -> FakeGateway:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def sms_url(self) -> str:
        return f"{self.url}/sms"

    def hook_url(self, name: str) -> str:
        return f"{self.url}/hook/{name}"

    # -- configuration and faults -------------------------------------------------------------
    def secure(self, name: str, secret: str, scheme: str = "webhook") -> None:
        """Check the signature of posts to ``/hook/<name>`` by ``scheme`` (webhook, dingtalk,
        feishu)."""
        if scheme not in SCHEMES:
            raise ValueError(f"scheme must be one of {SCHEMES}")
        with self._lock:
            self._secrets[name] = (scheme, secret)

    def fail_next(self, n: int = 1, status: int = 500, body: dict | None = None) -> None:
        """Answer the next ``n`` posts with ``status`` (and ``body`` as JSON), keeping nothing.
        ``fail_next(1, 200, {"errcode": 45009})`` is a robot's rate limit."""
        with self._lock:
            self._faults += [(status, body)] * n

    # -- inspection ---------------------------------------------------------------------------
    @property
    def messages(self) -> list[dict]:
        with self._lock:
            return [dict(m) for m in self._messages]

    @property
    def sms(self) -> list[dict]:
        return [m for m in self.messages if m["kind"] == "sms"]

    @property
    def hooks(self) -> list[dict]:
        return [m for m in self.messages if m["kind"] == "hook"]

    @property
    def duplicates(self) -> int:
        """Posts refused as repeats of a ref already accepted."""
        with self._lock:
            return self._duplicates

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()
            self._ids.clear()
            self._faults.clear()
            self._duplicates = 0

    # -- handling (called by the handler threads) ---------------------------------------------
    def post(self, path: str, query: dict, headers: dict, raw: bytes) -> tuple[int, str, bytes]:
        with self._lock:
            if self._faults:
                status, body = self._faults.pop(0)
                return _json(status, body if body is not None else {"error": "injected fault"})
        if path == "/sms":
            return self._sms(headers, raw)
        if path.startswith("/hook/") and len(path) > len("/hook/"):
            return self._hook(path[len("/hook/"):], query, headers, raw)
        return _json(404, {"error": "not found"})

    def _keep(self, record: dict, key: tuple[str, str] | None) -> tuple[bool, str]:
        """Keep ``record`` unless ``key`` was seen; return (kept, id)."""
        with self._lock:
            if key and key in self._ids:
                self._duplicates += 1
                return False, self._ids[key]
            record["id"] = f"{record['kind']}-{len(self._messages) + 1:06d}"
            record["received_at"] = datetime.now(timezone.utc).isoformat()
            self._messages.append(record)
            if key:
                self._ids[key] = record["id"]
        if self.on_message:
            self.on_message(dict(record))
        return True, record["id"]

    def _sms(self, headers: dict, raw: bytes) -> tuple[int, str, bytes]:
        if self.sms_key and headers.get("authorization") != f"Bearer {self.sms_key}":
            return _json(401, {"error": "bad or missing key"})
        try:
            data = json.loads(raw)
            to, text = str(data["to"]), str(data["text"])
        except (ValueError, KeyError, TypeError):
            return _json(400, {"error": "expected JSON with to and text"})
        if not re.fullmatch(r"\+?\d{5,15}", to):
            return _json(400, {"error": "not a phone number"})
        ref = headers.get("idempotency-key") or str(data.get("ref") or "")
        kept, ident = self._keep({"kind": "sms", "to": to, "text": text, "ref": ref,
                                  "sender": data.get("sender", ""), "headers": headers},
                                 ("/sms", ref) if ref else None)
        if not kept:
            return _json(409, {"id": ident, "duplicate": True})
        return _json(200, {"id": ident})

    def _hook(self, name: str, query: dict, headers: dict, raw: bytes) -> tuple[int, str, bytes]:
        with self._lock:
            scheme, secret = self._secrets.get(name, ("", ""))
        if secret and not signature_ok(scheme, secret, headers, query, raw):
            return _json(401, {"errcode": 310000, "code": 19021, "StatusCode": 19021,
                               "errmsg": "sign not match", "msg": "sign not match"})
        try:
            body = json.loads(raw)
        except ValueError:
            body = raw.decode("utf-8", errors="replace")
        ref = headers.get("idempotency-key", "")
        kept, ident = self._keep({"kind": "hook", "name": name, "body": body, "ref": ref,
                                  "text": _text_of(body), "headers": headers, "query": query,
                                  "raw": raw.decode("utf-8", errors="replace")},
                                 (f"/hook/{name}", ref) if ref else None)
        return _json(200 if kept else 409, {**SUCCESS, "id": ident, "duplicate": not kept})

    def page(self) -> bytes:
        """The SMS the phones got, newest first, with their links."""
        rows = []
        for m in reversed(self.sms):
            text = re.sub(r"(https?://[^\s<]+)", r'<a href="\1">\1</a>', html.escape(m["text"]))
            rows.append(f"<li><small>{html.escape(m['received_at'][11:19])} UTC · to "
                        f"{html.escape(_masked(m['to']))}</small><br>{text}</li>")
        hooks = len(self.hooks)
        return ("<!doctype html><meta charset=utf-8><meta http-equiv=refresh content=3>"
                "<title>Fake SMS gateway</title><h1>Messages the phones received</h1>"
                f"<p>{len(rows)} SMS, {hooks} group/webhook posts "
                "(<a href=/messages>all as JSON</a>).</p>"
                f"<ol reversed>{''.join(rows)}</ol>").encode("utf-8")


def _text_of(body) -> str:
    """The human text of a robot or webhook post, for printing."""
    if not isinstance(body, dict):
        return str(body)
    for outer, inner in (("markdown", "content"), ("markdown", "text"), ("content", "text")):
        if isinstance(body.get(outer), dict) and inner in body[outer]:
            return str(body[outer][inner])
    return str(body.get("text", ""))


class _Handler(BaseHTTPRequestHandler):
    gateway: FakeGateway
    timeout = 10  # a client that opens a connection and sends nothing is dropped

    def do_POST(self) -> None:
        delay = self.gateway.delay
        parts = urlsplit(self.path)
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k.lower(): v for k, v in self.headers.items()}
        answer = self.gateway.post(parts.path, parse_qs(parts.query), headers, raw)
        if delay:
            time.sleep(delay)
        self._reply(*answer)

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path == "/messages":
            self._reply(*_json(200, self.gateway.messages))
        elif path == "/":
            self._reply(200, "text/html; charset=utf-8", self.gateway.page())
        else:
            self._reply(*_json(404, {"error": "not found"}))

    def _reply(self, status: int, content_type: str, body: bytes) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the sender gave up waiting
            pass

    def log_message(self, format, *args) -> None:  # noqa: A002 — the caller prints messages
        pass


def _print(record: dict) -> None:
    if record["kind"] == "sms":
        print(f"[{record['id']}] SMS to {record['to']} (ref {record['ref']}):\n  {record['text']}",
              flush=True)
    else:
        text = record["text"].replace("\n", "\n  ")
        print(f"[{record['id']}] /hook/{record['name']}:\n  {text}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m resilience.alerts.fakegateway",
                                     description="A fake SMS gateway and robot/webhook receiver.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--sms-key", default="", help="require this bearer key on /sms")
    parser.add_argument("--secret", action="append", default=[], metavar="[SCHEME:]NAME=SECRET",
                        help="check signatures on /hook/NAME (scheme webhook, dingtalk or "
                             "feishu; default webhook); may be repeated")
    args = parser.parse_args(argv)
    gateway = FakeGateway(args.host, args.port, sms_key=args.sms_key, on_message=_print)
    for spec in args.secret:
        target, _, secret = spec.partition("=")
        scheme, _, name = target.rpartition(":")
        gateway.secure(name, secret, scheme or "webhook")
    gateway.start()
    print(f"Fake gateway on {gateway.url}\n  SMS:  RESILIENCE_SMS_URL={gateway.sms_url}\n"
          f"  hooks: {gateway.url}/hook/<name>\n  page: {gateway.url}/   (Ctrl-C to stop)",
          flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        gateway.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
