"""Drenfax Portal settings: one file, every knob an environment variable (`.env.example`
documents them; a `.env` beside `manage.py` is read). Development defaults are safe; with
DEBUG off, a missing production secret stops the start with a message naming it.
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PORTAL_VAR_DIR", BASE_DIR / "var"))

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env")


def env_secret(name: str, default: str = "") -> str:
    """A secret from NAME, or from the file named by NAME_FILE (Docker/systemd secrets)."""
    path = env.str(f"{name}_FILE", default="")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE: cannot read {path} ({exc.strerror})") from exc
    # An empty value counts as unset, so a .env copied from .env.example keeps the defaults.
    return env.str(name, default="") or default


def env_positive(name: str, default: float, kind: type[int] | type[float] = float) -> Any:
    """A positive number from NAME (an int when `kind` is int)."""
    value = env.int(name, default=default) if kind is int else env.float(name, default=default)
    if value <= 0:
        raise ImproperlyConfigured(f"{name} must be a positive number, got {value!r}")
    return value


DEBUG = env.bool("DEBUG", default=True)

SECRET_KEY = env_secret("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"  # noqa: S105

ALLOWED_HOSTS = [h for h in env.list("ALLOWED_HOSTS", default=[]) if h]
if not ALLOWED_HOSTS:
    if not DEBUG:
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off")
    ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]"]
CSRF_TRUSTED_ORIGINS = [o for o in env.list("CSRF_TRUSTED_ORIGINS", default=[]) if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "drenfax_portal.accounts",
    "drenfax_portal.audit",
    "faxes",
    "fax_numbers",
    "contacts",
    "drenfax_portal.notifications",
    "drenfax_portal.dashboard",
    "huey.contrib.djhuey",
]

# Order matters: the header middlewares first, so every response has them; audit context
# after authentication; idle timeout before login-required (which then sends the signed-out
# user to the login page); OTP before TwoFactor; Axes last, as django-axes asks.
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "drenfax_portal.security.SecurityHeadersMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "drenfax_portal.http.vary_on_htmx",
    "drenfax_portal.audit.middleware.AuditContextMiddleware",
    "drenfax_portal.accounts.middleware.IdleTimeoutMiddleware",
    "drenfax_portal.accounts.middleware.LoginRequiredMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "drenfax_portal.accounts.middleware.TwoFactorMiddleware",
    "drenfax_portal.accounts.middleware.UserTimezoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

# django-axes checks sign-in attempts first; then Django's usual backend.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "drenfax_portal.urls"
WSGI_APPLICATION = "drenfax_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "drenfax_portal.context_processors.portal",
            ],
        },
    },
]

# A SQLite file under var/ by default; PostgreSQL via DATABASE_URL (or DATABASE_URL_FILE).
DATABASES = {
    "default": env.db_url_config(
        env_secret("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # As healthchecks does it. WAL lets pages read while the worker and webhooks write;
    # IMMEDIATE transactions take the write lock up front instead of failing half-way.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
    # A file, not memory, so that tests can share the database with threads and processes.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
else:
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
# Connections kept between requests, on SQLite too: opening and closing one costs more than
# a webhook's whole transaction.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

TIME_ZONE = env.str("TIME_ZONE", default="") or "UTC"
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default="") or VAR_DIR / "static")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Django's defaults already send nosniff, same-origin Referrer-Policy and COOP, and
# X-Frame-Options DENY (the two PDF views of the inline viewer allow SAMEORIGIN), and make
# session cookies HttpOnly and SameSite=Lax. With DEBUG off the portal sits behind a TLS
# proxy that sets X-Forwarded-Proto.
# A closed browser ends the session; IDLE_TIMEOUT_MINUTES ends an unattended one.
SESSION_EXPIRE_AT_BROWSER_CLOSE = env.bool("SESSION_EXPIRE_AT_BROWSER_CLOSE", default=True)
USE_PROXY_SSL_HEADER = not DEBUG and env.bool("SECURE_PROXY_SSL_HEADER", default=True)
if not DEBUG:
    if USE_PROXY_SSL_HEADER:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers check it over plain HTTP
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)

# How many proxies in front of the portal write X-Forwarded-For (see audit.client_ip):
# by default 1 behind the TLS proxy of SECURE_PROXY_SSL_HEADER, else 0.
_proxies = env.str("TRUSTED_PROXY_COUNT", default="")
TRUSTED_PROXY_COUNT = int(_proxies) if _proxies.strip() else (1 if USE_PROXY_SSL_HEADER else 0)

# Content Security Policy (django-csp 4): our own scripts, styles and frames only.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
# Browser features the portal never uses, refused for it and anything it might embed.
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), "
    "magnetometer=(), microphone=(), midi=(), payment=(), usb=()"
)

# Idle logoff after this many minutes without activity (htmx polling does not count).
IDLE_TIMEOUT_MINUTES = env_positive("IDLE_TIMEOUT_MINUTES", 15)

# Sign-in lockout (django-axes): LOGIN_FAILURE_LIMIT failures for one username from one
# address lock that pair out for LOGIN_LOCKOUT_MINUTES.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.float("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "drenfax_portal.accounts.views.locked_out"
AXES_CLIENT_IP_CALLABLE = "drenfax_portal.audit.services.client_ip"
AXES_SENSITIVE_PARAMETERS = ["password", "otp_token", "token"]
AXES_VERBOSE = False  # our own audit trail records attempts and lockouts

# Two-factor sign-in (django-otp, TOTP and recovery codes); REQUIRE_2FA makes it mandatory.
REQUIRE_2FA = env.bool("REQUIRE_2FA", default=False)
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Drenfax Portal")
RECOVERY_CODES_COUNT = 10
# Staff can remove a lost authenticator in the admin, never see or copy one.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Audit trail: events older than this are deleted by the worker (`manage.py purge_audit`).
AUDIT_RETENTION_DAYS = env_positive("AUDIT_RETENTION_DAYS", 6 * 365 + 2, int)  # six years

# 500 reports (and their emails) hide whatever looks like or contains a secret.
DEFAULT_EXCEPTION_REPORTER_FILTER = "drenfax_portal.security.SecretsExceptionReporterFilter"
DEFAULT_EXCEPTION_REPORTER = "drenfax_portal.security.RedactingExceptionReporter"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Every sign-in is in the audit trail already; axes would log each one again.
        "axes": {"level": "WARNING"},
        # Huey logs every task it runs; the tasks log what they did (faxes.tasks).
        "huey": {"handlers": ["console"], "propagate": False, "level": "WARNING"},
    },
}


# --- Drenfax --------------------------------------------------------------------------------
def _sandbox_credentials(path: Path) -> dict[str, str]:
    """The embedded sandbox's credentials, which `make run` writes; empty until then."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


# With no DRENFAX_API_URL the portal runs against the embedded sandbox (`make run` starts it).
DRENFAX_API_URL = env.str("DRENFAX_API_URL", default="").rstrip("/")
DRENFAX_SANDBOX = not DRENFAX_API_URL
SANDBOX_PORT = env.int("SANDBOX_PORT", default=8765)
_sandbox = _sandbox_credentials(VAR_DIR / "sandbox.json") if DRENFAX_SANDBOX else {}
if DRENFAX_SANDBOX:
    DRENFAX_API_URL = f"http://127.0.0.1:{SANDBOX_PORT}"
DRENFAX_API_KEY = env_secret("DRENFAX_API_KEY", default=_sandbox.get("api_key", ""))
DRENFAX_ACCOUNT_ID = env.str("DRENFAX_ACCOUNT_ID", default="") or _sandbox.get("account_id", "")
DRENFAX_WEBHOOK_AUTH = env_secret("DRENFAX_WEBHOOK_AUTH", default=_sandbox.get("webhook_auth", ""))
if not DEBUG and not DRENFAX_SANDBOX and not DRENFAX_API_KEY:
    raise ImproperlyConfigured("DRENFAX_API_KEY must be set when DRENFAX_API_URL is set")

# Timeouts (connect, read) in seconds for every API call.
DRENFAX_TIMEOUT = (
    env_positive("DRENFAX_CONNECT_TIMEOUT", default=5.0),
    env_positive("DRENFAX_READ_TIMEOUT", default=60.0),
)


def _rate(value: str) -> tuple[int, float]:
    calls, _, seconds = value.partition("/")
    try:
        rate = int(calls), float(seconds)
    except ValueError:
        rate = (0, 0.0)
    if rate[0] < 1 or not 0 < rate[1] < float("inf"):
        raise ImproperlyConfigured(
            f"DRENFAX_HISTORY_RATE: expected CALLS/SECONDS, both positive, got {value!r}"
        )
    return rate


# The provider's limit on history calls per account: 8 per 60 seconds.
DRENFAX_HISTORY_RATE = _rate(env.str("DRENFAX_HISTORY_RATE", default="8/60"))
# Background tasks (Huey, `manage.py run_huey`): an SQLite file under var/ for one machine,
# Redis (TASKS_URL=redis://...) for several web and worker machines.
TASKS_URL = env.str("TASKS_URL", default="")
if TASKS_URL and not TASKS_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured("TASKS_URL: expected redis://, rediss:// or unix://")
# Redis expires a task lock left by a consumer that was killed; SQLite cannot, so its one
# consumer clears the locks when it starts (`run_huey --flush-locks`).
TASKS_LOCKS_EXPIRE = bool(TASKS_URL)
HUEY = {
    "name": "drenfax",
    "immediate": False,
    "utc": True,
    "consumer": {
        "workers": env.int("TASKS_WORKERS", default=2),
        "worker_type": "thread",
        "flush_locks": not TASKS_LOCKS_EXPIRE,
    },
    # RedisExpireHuey: lock expiry on any Redis version (RedisHuey's needs 7.4+).
    **(
        {"huey_class": "huey.RedisExpireHuey", "url": TASKS_URL}
        if TASKS_URL
        else {
            "huey_class": "huey.SqliteHuey",
            "filename": str(VAR_DIR / "tasks.sqlite3"),
            "create_tables": False,  # by `migrate` (faxes.apps)
        }
    ),
}
# Default region for phone numbers typed without a country code.
DEFAULT_PHONE_REGION = env.str("DEFAULT_PHONE_REGION", default="US")

# Fax PDFs and uploads live here, outside any static or media URL; served only through
# access-checked views.
FAX_DOCUMENTS_DIR = Path(env.str("FAX_DOCUMENTS_DIR", default="") or VAR_DIR / "documents")

# Largest webhook bodies accepted (larger: 413): a JSON fax object, and a legacy multipart
# delivery carrying an inbound fax's PDF.
DRENFAX_WEBHOOK_MAX_JSON_BYTES = env.int("DRENFAX_WEBHOOK_MAX_JSON_BYTES", default=1024 * 1024)
DRENFAX_WEBHOOK_MAX_MULTIPART_BYTES = env.int(
    "DRENFAX_WEBHOOK_MAX_MULTIPART_BYTES", default=30 * 1024 * 1024
)

# What one send may carry, stated on the send form and enforced server-side (MB are MiB).
SEND_MAX_FILES = env_positive("SEND_MAX_FILES", 10, int)
SEND_MAX_FILE_MB = env_positive("SEND_MAX_FILE_MB", 10)
SEND_MAX_TOTAL_MB = env_positive("SEND_MAX_TOTAL_MB", 25)
# Pages one send may carry (PDF and TIFF files are counted when uploaded).
SEND_MAX_PAGES = env_positive("SEND_MAX_PAGES", 200, int)
# Uploads stay this long, so a failed or corrected send needs no second upload.
UPLOAD_RETENTION_HOURS = env_positive("UPLOAD_RETENTION_HOURS", 24)

# --- Email and notifications ----------------------------------------------------------------
# Where email goes, as a URL: the console by default, else e.g.
# smtp+tls://user:password@smtp.example.com:587 (or EMAIL_URL_FILE).
# EMAIL_BACKEND, EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER/PASSWORD, EMAIL_USE_TLS/SSL: what
# the URL does not say keeps Django's default.
_email = env.email_url_config(env_secret("EMAIL_URL") or "consolemail://")
globals().update({name: value for name, value in _email.items() if value is not None})
# Seconds before an SMTP connection or command gives up (the worker must not hang on it).
EMAIL_TIMEOUT = env_positive("EMAIL_TIMEOUT", default=10, kind=int)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Drenfax Portal <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# The portal's address as users reach it, for the links in emails (no trailing slash).
PORTAL_BASE_URL = env.str("PORTAL_BASE_URL", default="").rstrip("/")
if not PORTAL_BASE_URL:
    if DEBUG:
        PORTAL_BASE_URL = "http://127.0.0.1:8000"
    elif ALLOWED_HOSTS[0].startswith((".", "*")):
        raise ImproperlyConfigured("PORTAL_BASE_URL must be set when ALLOWED_HOSTS has a wildcard")
    else:
        PORTAL_BASE_URL = f"https://{ALLOWED_HOSTS[0]}"
# Notification emails carry a fax's metadata and a link, never the document, unless this is
# on: an emailed fax leaves the portal's access rule, deletion and audit trail.
NOTIFY_ATTACH_DOCUMENTS = env.bool("NOTIFY_ATTACH_DOCUMENTS", default=False)
# The hour (0-23, each user's own time zone) at which daily digests go out.
NOTIFY_DIGEST_HOUR = env.int("NOTIFY_DIGEST_HOUR", default=7)
if not 0 <= NOTIFY_DIGEST_HOUR <= 23:
    raise ImproperlyConfigured(f"NOTIFY_DIGEST_HOUR must be 0-23, got {NOTIFY_DIGEST_HOUR}")

# Fax PDFs are kept on disk this many days, then deleted by the worker (opening the fax
# later fetches it from Drenfax again); 0 keeps them until the fax is deleted.
DOCUMENT_RETENTION_DAYS = env.int("DOCUMENT_RETENTION_DAYS", default=30)
if DOCUMENT_RETENTION_DAYS < 0:
    raise ImproperlyConfigured("DOCUMENT_RETENTION_DAYS must be 0 (keep) or a number of days")

# Fax blasts: the most rows one recipient list may hold, and the largest workbook in MB.
BLAST_MAX_ROWS = env_positive("BLAST_MAX_ROWS", 10_000, int)
BLAST_MAX_FILE_MB = env_positive("BLAST_MAX_FILE_MB", 10)
