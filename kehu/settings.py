"""Kehu settings: one module, driven by environment variables.

Environment variables (all optional):

- ``DATABASE_URL``   default ``sqlite:///var/kehu.sqlite3`` (relative to ``KEHU_HOME``)
- ``KEHU_HOME``      working directory for ``var/``; default: the current directory
- ``KEHU_SECRET_KEY`` required when ``KEHU_DEBUG`` is off outside tests; a
  key is generated and kept in ``var/secret_key`` otherwise
- ``KEHU_DEBUG``     ``1`` to turn on Django's debug mode (off by default)
- ``KEHU_ALLOWED_HOSTS`` comma separated, default ``127.0.0.1,localhost``
- ``KEHU_TIME_ZONE`` default ``Asia/Shanghai``
- ``KEHU_HUEY``      ``redis://...`` to use Redis for background jobs
- ``KEHU_CACHE``     ``redis://...`` to share the cache between processes (default: per process)
- ``KEHU_PUBLIC_URL`` the address respondents open survey links at, default ``http://127.0.0.1:8000``
- ``KEHU_EMAIL_BACKEND``, ``KEHU_EMAIL_HOST``, ``KEHU_EMAIL_PORT``, ``KEHU_EMAIL_USER``,
  ``KEHU_EMAIL_PASSWORD``, ``KEHU_EMAIL_TLS``, ``KEHU_FROM_EMAIL``: outgoing mail (console by default)
- ``KEHU_ANSWER_RATE_PER_IP``, ``KEHU_ANSWER_RATE_PER_TOKEN``: the answer page's requests per minute (0 = no limit)
- ``KEHU_RETAIN_INTERACTIONS_DAYS``, ``KEHU_RETAIN_SURVEY_ANSWERS_DAYS``: retention of personal data in days
  (0 = keep forever; docs/operations.md)
- ``KEHU_LOGIN_FAILURES_PER_ACCOUNT``, ``KEHU_LOGIN_FAILURES_PER_ADDRESS``, ``KEHU_LOGIN_LOCKOUT_MINUTES``:
  failed logins (and bad API tokens, by address) before a lockout, and how long it lasts
- ``KEHU_TRUSTED_PROXIES``: addresses of reverse proxies whose ``X-Forwarded-For`` names the client
- ``KEHU_PASSWORD_MIN_LENGTH``: the shortest password accepted (default 8)
- ``KEHU_ATTACHMENT_MAX_MB``: the largest attachment accepted, in MB (default 20)
- ``KEHU_STORAGE``: ``s3`` keeps attachments in an S3-compatible store (``pip install 'kehu[s3]'``) named by
  ``KEHU_S3_BUCKET``, ``KEHU_S3_ENDPOINT_URL``, ``KEHU_S3_ACCESS_KEY``, ``KEHU_S3_SECRET_KEY``, ``KEHU_S3_REGION``;
  files go to ``var/media`` otherwise (docs/operations.md, "Attachments")
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from kehu.dburl import parse_database_url

PACKAGE_DIR = Path(__file__).resolve().parent
HOME = Path(os.environ.get("KEHU_HOME", os.getcwd())).resolve()
VAR_DIR = HOME / "var"


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _secret_key() -> str:
    key = os.environ.get("KEHU_SECRET_KEY")
    if key:
        return key
    # Keep a generated key on disk so sessions survive restarts.
    path = VAR_DIR / "secret_key"
    try:
        if path.exists():
            return path.read_text().strip()
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(50)
        path.write_text(key)
        path.chmod(0o600)
        return key
    except OSError:
        return secrets.token_urlsafe(50)


DEBUG = _env_bool("KEHU_DEBUG")
SECRET_KEY = _secret_key()
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("KEHU_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("KEHU_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",  # serves the API docs (Swagger UI) from its static files, not a CDN
    "axes",  # login throttling (kehu/accounts/throttle.py)
    "kehu.org",
    "kehu.audit",
    "kehu.accounts",
    "kehu.customers",
    "kehu.engagement",
    "kehu.sales",
    "kehu.imports",
    "kehu.insights",
    "kehu.surveys",
    "kehu.privacy",
    "kehu.attachments",
    "kehu.web",
    "kehu.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "kehu.org.middleware.UserLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "kehu.org.middleware.ActivateUserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "kehu.web.middleware.FriendlyErrorMiddleware",
    # last: turns a login that axes flagged as locked out into the login page with the wait
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kehu.urls"
WSGI_APPLICATION = "kehu.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kehu.web.context_processors.navigation",
            ],
        },
    }
]

DATABASES = {
    "default": parse_database_url(
        os.environ.get("DATABASE_URL", "sqlite:///var/kehu.sqlite3"), base_dir=HOME
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3") and DATABASES["default"]["NAME"] != ":memory:":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "org.User"
# AxesStandaloneBackend first: it refuses a locked-out account or address before the password is checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
# Applied wherever a password is set: `kehu createuser`, the password change and reset pages (kehu/accounts).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": int(os.environ.get("KEHU_PASSWORD_MIN_LENGTH", "8"))}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = 3 * 3600  # a reset link works for three hours
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
# The core catalogue; apps that keep their own (kehu/<app>/locale) are found
# by Django as installed apps (docs/architecture.md, Internationalisation).
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
FORMAT_MODULE_PATH = ["kehu.formats"]
USE_I18N = True
TIME_ZONE = os.environ.get("KEHU_TIME_ZONE", "Asia/Shanghai")
USE_TZ = True
LANGUAGE_COOKIE_NAME = "kehu_language"

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "media"
# Attachments (kehu/attachments): never served from MEDIA_URL, only through the
# download view that checks visibility; in var/media unless KEHU_STORAGE=s3.
KEHU_ATTACHMENT_MAX_MB = int(os.environ.get("KEHU_ATTACHMENT_MAX_MB", "20"))
KEHU_STORAGE = os.environ.get("KEHU_STORAGE", "local").strip().lower()
if KEHU_STORAGE == "s3":
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ.get("KEHU_S3_BUCKET", ""),
            "endpoint_url": os.environ.get("KEHU_S3_ENDPOINT_URL") or None,
            "access_key": os.environ.get("KEHU_S3_ACCESS_KEY") or None,
            "secret_key": os.environ.get("KEHU_S3_SECRET_KEY") or None,
            "region_name": os.environ.get("KEHU_S3_REGION") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
elif KEHU_STORAGE not in ("", "local"):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"KEHU_STORAGE must be 'local' or 's3', not {KEHU_STORAGE!r}.")

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

EMAIL_BACKEND = os.environ.get("KEHU_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_CURRENCY = "CNY"

HUEY_URL = os.environ.get("KEHU_HUEY", "")

# The cache: memory of each process by default; KEHU_CACHE=redis://127.0.0.1:6379/1
# shares it between the server's processes (the answer page's rate limits are then exact).
_CACHE_URL = os.environ.get("KEHU_CACHE", "").strip()
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _CACHE_URL}
        if _CACHE_URL.startswith(("redis://", "rediss://", "unix://"))
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "kehu"}
    )
}

# Surveys: the address respondents reach Kehu at (their personal links /s/<token>/ and QR codes),
# the sender of invitations, and the answer page's rate limits (requests per minute; 0 = none).
KEHU_PUBLIC_URL = os.environ.get("KEHU_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
DEFAULT_FROM_EMAIL = os.environ.get("KEHU_FROM_EMAIL", "Kehu <noreply@localhost>")
EMAIL_HOST = os.environ.get("KEHU_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("KEHU_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("KEHU_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("KEHU_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = _env_bool("KEHU_EMAIL_TLS")
KEHU_ANSWER_RATE_PER_IP = int(os.environ.get("KEHU_ANSWER_RATE_PER_IP", "300"))
KEHU_ANSWER_RATE_PER_TOKEN = int(os.environ.get("KEHU_ANSWER_RATE_PER_TOKEN", "60"))
# Retention of personal data (kehu.privacy.services.retention_purge), in days; 0 keeps forever.
KEHU_RETAIN_INTERACTIONS_DAYS = int(os.environ.get("KEHU_RETAIN_INTERACTIONS_DAYS", "0"))
KEHU_RETAIN_SURVEY_ANSWERS_DAYS = int(os.environ.get("KEHU_RETAIN_SURVEY_ANSWERS_DAYS", "0"))

# Login throttling (django-axes, kehu/accounts/throttle.py): failures are counted in the database,
# so every server process sees the same counts. An account is locked after
# KEHU_LOGIN_FAILURES_PER_ACCOUNT failures, an address after KEHU_LOGIN_FAILURES_PER_ADDRESS
# (failed logins and bad API tokens together), for KEHU_LOGIN_LOCKOUT_MINUTES after the last one.
KEHU_LOGIN_FAILURES_PER_ACCOUNT = int(os.environ.get("KEHU_LOGIN_FAILURES_PER_ACCOUNT", "5"))
KEHU_LOGIN_FAILURES_PER_ADDRESS = int(os.environ.get("KEHU_LOGIN_FAILURES_PER_ADDRESS", "20"))
KEHU_LOGIN_LOCKOUT_MINUTES = float(os.environ.get("KEHU_LOGIN_LOCKOUT_MINUTES", "15"))
KEHU_TRUSTED_PROXIES = [
    a.strip() for a in os.environ.get("KEHU_TRUSTED_PROXIES", "").split(",") if a.strip()
]
AXES_ENABLED = True
AXES_HANDLER = "kehu.accounts.throttle.KehuAxesHandler"
AXES_FAILURE_LIMIT = "kehu.accounts.throttle.failure_limit"  # each parameter against its own limit
AXES_LOCKOUT_PARAMETERS = "kehu.accounts.throttle.lockout_parameters"
AXES_COOLOFF_TIME = timedelta(minutes=KEHU_LOGIN_LOCKOUT_MINUTES)
AXES_CLIENT_IP_CALLABLE = "kehu.accounts.throttle.client_address"
AXES_LOCKOUT_CALLABLE = "kehu.accounts.throttle.lockout_response"
# Tries during a lockout do not extend it: the wait the page announces holds.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # every failure, kept for the administrators' sign-in page
AXES_VERBOSE = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("KEHU_LOG_LEVEL", "WARNING")},
}

NINJA_PAGINATION_CLASS = "kehu.api.pagination.CursorPagination"
