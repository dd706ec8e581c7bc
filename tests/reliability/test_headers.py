"""Security headers on every answer; HTTPS-only settings in production; `check --deploy` clean
(issue 10, docs/reliability.md "Authentication")."""
import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from resilience.core.headers import script_hash, tile_origin

SRC = Path(__file__).resolve().parents[2] / "src" / "resilience"
FIELD_KEY = "l8k2-S2G4-nK0y3hEBsW0dJ6Y8a8h7Q2cWmXk3bXkUQ="


def production_env(tmp_path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RESILIENCE_")}
    env.update(RESILIENCE_DATA_DIR=str(tmp_path), RESILIENCE_HTTPS="1",
               RESILIENCE_SECRET_KEY=secrets.token_urlsafe(50), RESILIENCE_FIELD_KEY=FIELD_KEY,
               RESILIENCE_HASH_KEY="h" * 32, RESILIENCE_ALLOWED_HOSTS="resilience.example.org",
               DJANGO_SETTINGS_MODULE="resilience.settings", **extra)
    env.pop("DATABASE_URL", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set for the browser tests in this process only
    return env


def directives(header: str) -> dict[str, list[str]]:
    return {d.split()[0]: d.split()[1:] for d in header.split(";") if d.strip()}


def test_pages_carry_the_security_headers(client, world):
    client.force_login(world.users["staff_a"])
    response = client.get(reverse("dashboard"))
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response  # the laptop demo is plain http
    csp = directives(response["Content-Security-Policy"])
    assert csp["default-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"] and csp["object-src"] == ["'none'"]
    assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]


def test_the_inline_script_runs_only_with_this_requests_nonce(client, world):
    first = client.get(reverse("login"))
    second = client.get(reverse("login"))
    nonce = re.search(r'<script nonce="([^"]+)"', first.content.decode()).group(1)
    assert f"'nonce-{nonce}'" in directives(first["Content-Security-Policy"])["script-src"]
    assert nonce not in second["Content-Security-Policy"]


def test_api_and_login_answers_have_the_headers_too(client, world):
    for response in (client.get(reverse("login")), client.get("/api/me/"),
                     client.get("/healthz")):
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "Content-Security-Policy" in response


def test_only_the_swagger_page_goes_without_the_policy(client, world):
    client.force_login(world.users["staff_a"])
    assert "Content-Security-Policy" not in client.get(reverse("api-docs"))
    assert settings.CONTENT_SECURITY_POLICY["EXCLUDE_URL_PREFIXES"] == ["/api/docs/"]


def templates():
    return sorted(SRC.rglob("templates/**/*.html"))


def test_every_inline_script_carries_the_nonce():
    missing = []
    for path in templates():
        for tag in re.findall(r"<script\b[^>]*>", path.read_text()):
            if "src=" not in tag and 'type="application/json"' not in tag \
                    and 'nonce="{{ request.csp_nonce }}"' not in tag:
                missing.append(f"{path.relative_to(SRC)}: {tag}")
    assert not missing, "inline scripts without the CSP nonce (add nonce=\"{{ request.csp_nonce }}\" or move to a static file): " + "; ".join(missing)


def test_every_inline_event_handler_is_allowed_by_its_hash():
    policy = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["script-src"]
    unknown = set()
    for path in templates():
        for handler in re.findall(r'\son[a-z]+="([^"]*)"', path.read_text()):
            if script_hash(handler) not in policy:
                unknown.add(f"{path.relative_to(SRC)}: {handler}")
    assert not unknown, ("inline handlers the CSP blocks: move them to a static script, or add "
                         "them to CSP_INLINE_HANDLERS in settings.py: " + "; ".join(sorted(unknown)))


def test_map_tiles_are_allowed_from_the_configured_server_only():
    assert tile_origin("https://{s}.tile.example.org/{z}/{x}/{y}.png") == "https://*.tile.example.org"
    assert tile_origin("") == ""


HTTPS_SETTINGS = ["SECURE_SSL_REDIRECT", "SECURE_REDIRECT_EXEMPT", "SECURE_HSTS_SECONDS",
                  "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
                  "SECURE_PROXY_SSL_HEADER", "DEBUG"]


def production_settings(tmp_path, **extra) -> dict:
    """The HTTPS-related settings as ``resilience.settings`` makes them from this environment."""
    code = ("import json, django; django.setup(); from django.conf import settings as s; "
            f"print(json.dumps({{k: getattr(s, k, None) for k in {HTTPS_SETTINGS!r}}}))")
    out = subprocess.run([sys.executable, "-c", code], env=production_env(tmp_path, **extra),
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_production_settings_turn_on_https_only_behaviour(tmp_path):
    assert production_settings(tmp_path) == {
        "SECURE_SSL_REDIRECT": True, "SECURE_REDIRECT_EXEMPT": ["^healthz$"],
        "SECURE_HSTS_SECONDS": 31536000, "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SESSION_COOKIE_SECURE": True, "CSRF_COOKIE_SECURE": True,
        "SECURE_PROXY_SSL_HEADER": None, "DEBUG": False}
    behind_proxy = production_settings(tmp_path, RESILIENCE_BEHIND_TLS_PROXY="1")
    assert behind_proxy["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_with_https_on_http_redirects_and_https_gets_hsts(world, settings, tmp_path):
    for name, value in production_settings(tmp_path).items():
        setattr(settings, name, value)
    client = Client()  # its middleware is built now, with these settings
    response = client.get(reverse("login"))
    assert response.status_code == 301 and response["Location"].startswith("https://")
    response = client.get(reverse("login"), secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert response.cookies["csrftoken"]["secure"]
    assert client.get("/healthz").status_code == 200  # probes over plain http still answer


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = subprocess.run([sys.executable, "-m", "django", "check", "--deploy"],
                            env=production_env(tmp_path), capture_output=True, text=True)
    found = set(re.findall(r"\(([a-z_]+\.[EW]\d+)\)", result.stdout + result.stderr))
    assert result.returncode == 0, result.stderr
    # Nothing at all: no security warning, and no drf_spectacular.W001 (two choice sets under one
    # enum name, or one under two) — ENUM_NAME_OVERRIDES in settings.py names each shared set.
    assert not found, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_openapi_schema_builds_without_a_warning(tmp_path, language):
    """Enum names come from ENUM_NAME_OVERRIDES in both languages (labels take part in
    drf-spectacular's choice-set identity, and two sets share their Chinese labels)."""
    schema = tmp_path / "schema.yaml"
    result = subprocess.run([sys.executable, "-m", "django", "spectacular", "--validate",
                             "--fail-on-warn", "--lang", language, "--file", str(schema)],
                            env=production_env(tmp_path), capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    text = schema.read_text(encoding="utf-8")
    assert "AlertLevelEnum:" in text and "HazardStatusEnum:" in text  # the names given


def test_check_deploy_does_warn_on_the_laptop_settings(tmp_path):
    env = production_env(tmp_path)
    del env["RESILIENCE_HTTPS"]
    result = subprocess.run([sys.executable, "-m", "django", "check", "--deploy"],
                            env=env, capture_output=True, text=True)
    found = set(re.findall(r"\(([a-z_]+\.[EW]\d+)\)", result.stdout + result.stderr))
    assert {"security.W004", "security.W008", "security.W012"} <= found
