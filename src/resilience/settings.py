"""Django settings for Resilient Community.

Operator configuration comes from environment variables (see ``config.py``); this file only wires
the framework. A bad setting fails fast with a message that says what to set.
"""
import datetime as dt
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from resilience import config
from resilience.core import headers

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = config.data_dir()

SECRET_KEY = config.secret_key(DATA_DIR)
DEBUG = config.flag("RESILIENCE_DEBUG", False)
ALLOWED_HOSTS = config.csv("RESILIENCE_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = config.csv("RESILIENCE_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin.apps.SimpleAdminConfig",  # no autodiscover: leaflet.admin needs GDAL
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "django_filters",
    "django_htmx",
    "leaflet",
    "axes",  # sign-in lockout after repeated failures (docs/reliability.md)
    "csp",  # Content-Security-Policy header and nonces
    "resilience.core",
    "resilience.places",
    "resilience.people",
    "resilience.risks",
    "resilience.monitoring",
    "resilience.alerts",
    "resilience.response",
    "resilience.shelters",
    "resilience.participation",
    "resilience.health",
    "resilience.relief",
    "resilience.assessment",
    "resilience.street",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "resilience.core.middleware.ActorMiddleware",
    "resilience.core.middleware.DiskFullMiddleware",  # a full disk: 507 with the reason
    "resilience.core.middleware.IdleSessionMiddleware",  # idle timeout (SESSION_COOKIE_AGE)
    "resilience.core.middleware.LockoutMiddleware",  # last, as django-axes asks
]

ROOT_URLCONF = "resilience.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "resilience.core.context_processors.site",
            ],
        },
    },
]
ASGI_APPLICATION = "resilience.asgi.application"
WSGI_APPLICATION = "resilience.wsgi.application"

DATABASES = {"default": config.database(DATA_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"
# Passwords first; residents may also sign in with phone number + SMS code (docs/phone-login.md).
AUTHENTICATION_BACKENDS = [
    "resilience.core.auth.LockoutBackend",  # first: refuses locked-out names and addresses
    "django.contrib.auth.backends.ModelBackend",
    "resilience.core.auth.PhoneCodeBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTH_PASSWORD_VALIDATORS[0]["OPTIONS"] = {"min_length": 10}

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = config.env("RESILIENCE_TIME_ZONE", "Asia/Shanghai")
USE_TZ = True

STATIC_URL = "static/"
# Static files are served from the installed packages (finders); set a root only to collect them.
STATIC_ROOT = config.env("RESILIENCE_STATIC_ROOT") or None
MEDIA_URL = "media/"
MEDIA_ROOT = DATA_DIR / "media"
# Serve straight from the installed packages: nothing to collect before `resilience demo` runs.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
STORAGES = {
    "default": {"BACKEND": "resilience.core.storage.MediaStorage"},  # no partial files
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "resilience.core.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "resilience.core.api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Resilient Community API",
    "DESCRIPTION": "Registry, risks, monitoring, warnings, response, relief and assessment of "
    "resilient communities. Authenticate with `Authorization: Token <key>` "
    "(POST /api/auth/token/).",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # One stable name per choice set that several serializers share, or that shares a field name
    # ("kind", "level", "status"…) with another set; without it the schema falls back to names
    # like "Kind7ccEnum" that change with the choices (check --deploy: drf_spectacular.W001).
    "ENUM_NAME_OVERRIDES": {
        "AlarmLevelEnum": "resilience.core.api.schema.alarm_levels",  # see there why
        "AlertLevelEnum": "resilience.alerts.vocab.Level",
        "AssessmentSourceEnum": "resilience.assessment.vocab.Source",
        "CommandRoleEnum": "resilience.response.vocab.CommandRole",
        "FacilityKindEnum": "resilience.places.vocab.FacilityKind",
        "HazardSourceEnum": "resilience.risks.vocab.HazardSource",
        "HazardStatusEnum": "resilience.risks.vocab.HazardStatus",
        "MovementKindEnum": "resilience.relief.vocab.MovementKind",
        "NeedKindEnum": "resilience.relief.vocab.NeedKind",
        "NeedUrgencyEnum": "resilience.relief.vocab.Urgency",
        "PurchaseStatusEnum": "resilience.relief.vocab.PurchaseStatus",
        "ResponseLevelEnum": "resilience.response.vocab.ResponseLevel",
        "RiskMethodEnum": "resilience.risks.vocab.Method",
        "ScenarioEnum": "resilience.response.vocab.Scenario",
        "SensorKindEnum": "resilience.monitoring.vocab.SensorKind",
    },
}

LEAFLET_CONFIG = {
    "DEFAULT_CENTER": (31.2304, 121.4737),
    "DEFAULT_ZOOM": 16,
    "TILES": [],  # layers work with no tile server; the tile URL is RESILIENCE_TILE_URL
}
RESILIENCE_TILE_URL = config.env("RESILIENCE_TILE_URL", "")
RESILIENCE_TILE_ATTRIBUTION = config.env(
    "RESILIENCE_TILE_ATTRIBUTION", "&copy; OpenStreetMap contributors"
)

# Personal data (PIPL): Fernet keys for encryption at rest, newest first; a separate key for the
# keyed look-up hash so that rotating encryption keys never changes hashes.
RESILIENCE_FIELD_KEYS, RESILIENCE_HASH_KEY = config.field_keys(DATA_DIR)

# Early-warning channels (docs/alerts.md). A channel without its settings is off.
# Upstream CAP 1.2 feeds (Atom/RSS of CAP links, or single CAP URLs) the worker polls and relays.
RESILIENCE_CAP_FEEDS = config.csv("RESILIENCE_CAP_FEEDS", "")
RESILIENCE_CAP_POLL_SECONDS = int(config.env("RESILIENCE_CAP_POLL_SECONDS", "300") or 300)
RESILIENCE_CAP_AUTO_ISSUE = config.flag("RESILIENCE_CAP_AUTO_ISSUE", False)
RESILIENCE_PUBLIC_URL = config.env("RESILIENCE_PUBLIC_URL", "http://127.0.0.1:8000")
RESILIENCE_ALERT_CHANNELS = config.csv("RESILIENCE_ALERT_CHANNELS",
                                       "inapp,email,sms,wecom,dingtalk,feishu,webhook")
RESILIENCE_SMS_URL = config.env("RESILIENCE_SMS_URL", "")  # the gateway's send endpoint
RESILIENCE_SMS_KEY = config.env("RESILIENCE_SMS_KEY", "")
RESILIENCE_SMS_SENDER = config.env("RESILIENCE_SMS_SENDER", "")
EMAIL_HOST = config.env("RESILIENCE_SMTP_HOST", "")  # empty: e-mail off
EMAIL_PORT = int(config.env("RESILIENCE_SMTP_PORT", "25") or 25)
EMAIL_HOST_USER = config.env("RESILIENCE_SMTP_USER", "")
EMAIL_HOST_PASSWORD = config.env("RESILIENCE_SMTP_PASSWORD", "")
EMAIL_USE_TLS = config.flag("RESILIENCE_SMTP_TLS", False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = config.env("RESILIENCE_SMTP_FROM", "warnings@resilience.local")
# A delivery claimed by a worker that died is sent again (same idempotency key) after this.
RESILIENCE_DELIVERY_LEASE_SECONDS = int(config.env("RESILIENCE_DELIVERY_LEASE_SECONDS", "120"))
# Floor area one sheltered person needs (GB 21734 asks at least 1.5 m²): shelters' capacity by area.
SHELTER_M2_PER_PERSON = float(config.env("RESILIENCE_SHELTER_M2_PER_PERSON", "2") or 2)
WORKER_MODULES = ["resilience.alerts.jobs", "resilience.response.jobs", "resilience.monitoring.jobs", "resilience.health.jobs",
                  "resilience.relief.jobs", "resilience.participation.jobs"]
WORKER_MODULES += ["resilience.street.jobs"]  # loans past their end (issue 13)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": config.env("RESILIENCE_LOG_LEVEL", "WARNING")},
}

# Security (docs/reliability.md "Authentication", docs/configuration.md). The laptop demo runs on
# plain http; RESILIENCE_HTTPS=1 turns on what only makes sense behind TLS.
# Sign-in lockout (django-axes): this many failures for one account name, or from one client
# address, lock it for the cool-off; a success resets the count; `resilience manage
# axes_reset_username <name>` (or axes_reset_ip, axes_reset) releases it at once.
AXES_FAILURE_LIMIT = int(config.env("RESILIENCE_LOGIN_FAILURE_LIMIT", "10") or 10)
AXES_COOLOFF_TIME = dt.timedelta(minutes=int(config.env("RESILIENCE_LOGIN_LOCKOUT_MINUTES", "15") or 15))
AXES_LOCKOUT_PARAMETERS = "resilience.core.auth.lockout_parameters"
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # released a fixed time after the lock
AXES_LOCKOUT_CALLABLE = "resilience.core.views.account.locked_out"
AXES_SENSITIVE_PARAMETERS = ["password", "code", "phone"]
AXES_VERBOSE = False
# axes.W002 looks for its own middleware by name; ours is that class made synchronous-only.
SILENCED_SYSTEM_CHECKS = ["axes.W002"]
# Behind a reverse proxy every client would share its address: name how many proxies to trust.
if config.env("RESILIENCE_PROXY_COUNT"):
    AXES_IPWARE_PROXY_COUNT = int(config.env("RESILIENCE_PROXY_COUNT"))
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
RESILIENCE_PHONE_CODES_PER_IP_HOUR = int(config.env("RESILIENCE_PHONE_CODES_PER_IP_HOUR", "20") or 0)

# Idle timeout: requests move the session's expiry on (IdleSessionMiddleware, at most once a
# minute rather than SESSION_SAVE_EVERY_REQUEST's write per request), so it ends this long after
# the last.
SESSION_COOKIE_AGE = 60 * int(config.env("RESILIENCE_SESSION_IDLE_MINUTES", "120") or 120)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True  # forms carry the token; htmx reads it from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
RESILIENCE_HTTPS = config.flag("RESILIENCE_HTTPS", False)
if RESILIENCE_HTTPS:
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain http
    SECURE_HSTS_SECONDS = int(config.env("RESILIENCE_HSTS_SECONDS", "31536000") or 0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = config.flag("RESILIENCE_HSTS_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = config.flag("RESILIENCE_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        # Preloading binds the whole registered domain in every browser: the operator's choice.
        SILENCED_SYSTEM_CHECKS += ["security.W021"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    if config.flag("RESILIENCE_BEHIND_TLS_PROXY", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy (django-csp). Scripts only from here or inline with the per-request
# nonce; the few inline event handlers are allowed by their hashes (CSP_INLINE_HANDLERS, checked
# by tests/reliability/test_headers.py). Styles may be inline (style attributes are common and
# cannot run code). Map tiles come from RESILIENCE_TILE_URL's host.
CSP_INLINE_HANDLERS = ["this.form.submit()", "window.print()", "window.print(); return false;"]
CONTENT_SECURITY_POLICY = headers.content_security_policy(RESILIENCE_TILE_URL, CSP_INLINE_HANDLERS)
