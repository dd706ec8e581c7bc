"""Every form carries the CSRF token and every POST without it is refused (issue 10).

The walk signs in as several roles and follows the site's own links from the dashboard (each
URL pattern visited at most twice), so new pages are covered without being listed here. Every
``<form method="post">`` it meets must hold the token, and posting to its action without the
token, from a signed-in browser that enforces CSRF, must answer 403. Views exempt from the check
are listed in ``EXEMPT`` with the reason; the API is checked on its own (session-authenticated
unsafe requests need the token; token-authenticated ones carry no cookie to forge).
"""
from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.test import Client
from django.urls import URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from rest_framework.views import APIView

# URL pattern → why it may take a POST without the CSRF token.
EXEMPT = {
    "a/<str:token>": "the acknowledgement link from an SMS: no session is involved, the secret "
                     "token in the URL is the only authority, so a forged request can do "
                     "nothing its sender could not (alerts/views/ack.py)",
}
SKIP_PREFIXES = ("/static/", "/media/", "/api/docs/", "/api/schema/", "/admin/")
PAGES_PER_ROUTE = 2
MAX_PAGES = 400


class Forms(HTMLParser):
    """Links and POST forms of a page (with whether each form holds the CSRF token)."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.forms: list[dict] = []
        self._form: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        elif tag == "form":
            method = (attrs.get("method") or "get").lower()
            self._form = {"action": attrs.get("action") or "", "method": method, "csrf": False}
        elif tag == "input" and self._form is not None \
                and attrs.get("name") == "csrfmiddlewaretoken" and attrs.get("value"):
            self._form["csrf"] = True

    def handle_endtag(self, tag):
        if tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None


def route_of(path: str) -> str | None:
    try:
        return resolve(path).route
    except Resolver404:
        return None


def walk(client: Client, start: str = "/") -> tuple[dict, Counter]:
    """Follow same-site links from ``start``; the POST forms found, by action path."""
    queue, seen, per_route = [start], set(), Counter()
    forms: dict[str, dict] = {}
    while queue and len(seen) < MAX_PAGES:
        url = queue.pop(0)
        path = urlsplit(url).path
        route = route_of(path)
        if url in seen or route is None or per_route[route] >= PAGES_PER_ROUTE \
                or path.startswith(SKIP_PREFIXES):
            continue
        seen.add(url)
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        per_route[route] += 1
        parser = Forms()
        parser.feed(response.content.decode())
        for form in parser.forms:
            if form["method"] == "post":
                action = urljoin(url, form["action"]) if form["action"] else url
                forms.setdefault(urlsplit(action).path, {**form, "page": url})
        for href in parser.links:
            parts = urlsplit(urljoin(url, href))
            if parts.scheme in ("", "http") and parts.netloc in ("", "testserver"):
                queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return forms, per_route


def all_patterns(patterns=None, prefix=""):
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            yield from all_patterns(p.url_patterns, prefix + str(p.pattern))
        else:
            yield prefix + str(p.pattern), p.callback


def is_api(callback) -> bool:
    cls = getattr(callback, "cls", None)
    return isinstance(cls, type) and issubclass(cls, APIView)


def test_only_the_listed_views_are_exempt_from_csrf():
    exempt = {route for route, callback in all_patterns()
              if getattr(callback, "csrf_exempt", False) and not is_api(callback)}
    assert exempt == set(EXEMPT)


@pytest.mark.parametrize("username", ["admin", "staff_a", "grid_worker_a1", "resident_a1",
                                      "volunteer_a", None])
def test_every_post_form_has_the_token_and_is_refused_without_it(world, username):
    client = Client(enforce_csrf_checks=True)
    if username:
        client.force_login(world.users[username])
    forms, routes = walk(client, "/" if username else "/login/")
    assert len(routes) >= (40 if username == "admin" else 2), routes
    assert forms, "the walk found no POST form"
    missing = [f"{f['page']} → {action}" for action, f in forms.items() if not f["csrf"]]
    assert not missing, f"POST forms without the CSRF token: {missing}"

    accepted = []
    for action in forms:
        if route_of(action) in EXEMPT:
            continue
        response = client.post(action, {"x": "1"})
        if response.status_code != 403:
            accepted.append(f"{action}: {response.status_code}")
    assert not accepted, f"POSTs without the CSRF token that were not refused: {accepted}"


def test_session_authenticated_api_writes_need_the_token(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["staff_a"])
    checked = 0
    for route, callback in all_patterns():
        if not route.startswith("api/") or not is_api(callback) or "<" in route \
                or "(?P" in route or route.startswith(("api/docs", "api/schema")):
            continue
        path = "/" + re.sub(r"[\^$]|\\\.", "", route).replace("\\", "")
        response = client.post(path, {}, content_type="application/json")
        assert response.status_code == 403, (path, response.status_code)
        assert "CSRF" in response.json()["detail"]
        checked += 1
    assert checked >= 30


def test_token_authenticated_api_writes_need_no_csrf_token(world):
    from rest_framework.authtoken.models import Token

    key = Token.objects.create(user=world.users["staff_a"]).key
    client = Client(enforce_csrf_checks=True)
    response = client.post("/api/auth/token/revoke/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 204
