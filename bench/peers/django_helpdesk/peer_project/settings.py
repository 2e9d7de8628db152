"""Minimal Django project serving django-helpdesk for the API benchmark.

Production-like on purpose: DEBUG off, persistent DB connections, SQLite in
WAL mode, no outgoing mail and no webhooks. Everything it writes lives under
var/peers/django_helpdesk/ (override with PEER_VAR_DIR).
"""

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[4]
VAR_DIR = Path(os.environ.get("PEER_VAR_DIR", REPO_ROOT / "var" / "peers" / "django_helpdesk"))


def _secret_key() -> str:
    env = os.environ.get("PEER_SECRET_KEY")
    if env:
        return env
    key_file = VAR_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    # setup.sh writes the file; this fallback only serves `check`-style runs.
    return "bench-peer-insecure-fallback-key-not-for-deployment-0123456789"


SECRET_KEY = _secret_key()
DEBUG = os.environ.get("PEER_DEBUG") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.sites",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "helpdesk",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "peer_project.urls"
WSGI_APPLICATION = "peer_project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": VAR_DIR / "db.sqlite3",
        # Keep connections across requests (the default closes them each time).
        "CONN_MAX_AGE": 600,
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {
            # Wait for the write lock instead of failing with "database is locked"
            # when both gunicorn workers write at once.
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
    }
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "media/"
MEDIA_ROOT = VAR_DIR / "media"

SITE_ID = 1
LOGIN_URL = "helpdesk:login"
LOGIN_REDIRECT_URL = "helpdesk:home"

# --- mail: never reach a mail server. "dummy" drops every message; set
# PEER_EMAIL_BACKEND=django.core.mail.backends.console.EmailBackend to see them.
EMAIL_BACKEND = os.environ.get("PEER_EMAIL_BACKEND", "django.core.mail.backends.dummy.EmailBackend")
DEFAULT_FROM_EMAIL = "helpdesk@localhost"


# --- django-helpdesk
def _no_webhooks() -> list[str]:
    return []


HELPDESK_API_ENABLED = True  # mounts the DRF ticket API under /api/ (helpdesk/urls.py)
HELPDESK_TEAMS_MODE_ENABLED = False  # avoids the optional pinax-teams dependency
HELPDESK_GET_NEW_TICKET_WEBHOOK_URLS = _no_webhooks
HELPDESK_GET_FOLLOWUP_WEBHOOK_URLS = _no_webhooks

# --- Django REST framework: token auth for the benchmark (one indexed lookup
# per request). Basic auth is kept for curl but costs a PBKDF2 hash per request.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.BasicAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    # 4xx answers are the client's business; keep the server log for real failures.
    "loggers": {"django.request": {"level": "ERROR"}},
}
