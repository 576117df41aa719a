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
- ``KEHU_CACHE``     ``redis://...`` for a Redis cache (sessions then read from it too); ``locmem`` for
  each process's memory (one process only); default: the database cache (table ``kehu_cache``),
  shared by all processes
- ``KEHU_CONN_MAX_AGE`` seconds a server process keeps its PostgreSQL connection (default 60; 0: one per request)
- ``KEHU_PUBLIC_URL`` the address respondents open survey links at; default: the address
  ``kehu serve`` serves (``http://127.0.0.1:PORT``), else ``http://127.0.0.1:8000``
- ``KEHU_EMAIL_BACKEND``, ``KEHU_EMAIL_HOST``, ``KEHU_EMAIL_PORT``, ``KEHU_EMAIL_USER``,
  ``KEHU_EMAIL_PASSWORD``, ``KEHU_EMAIL_TLS``, ``KEHU_FROM_EMAIL``: outgoing mail (console by default)
- ``KEHU_SMS_PROVIDER`` (``console`` by default, or ``http``), ``KEHU_SMS_URL``, ``KEHU_SMS_KEY``,
  ``KEHU_SMS_SENDER``, ``KEHU_SMS_TIMEOUT``: SMS to customers (kehu/marketing/outreach/channels.py)
- ``KEHU_MAX_URL_LENGTH`` the longest URL answered (bytes, default 8000; longer: 414)
- ``KEHU_HSTS_SECONDS``, ``KEHU_HSTS_SUBDOMAINS``, ``KEHU_SSL_REDIRECT``: HTTPS (HSTS is on by
  default, for a year, when ``KEHU_PUBLIC_URL`` is https)
- ``KEHU_HEARTBEAT_SECONDS``, ``KEHU_JOB_STALE_SECONDS``: liveness of long-running jobs (10, 300)
- ``KEHU_ANSWER_RATE_PER_IP``, ``KEHU_ANSWER_RATE_PER_TOKEN``: the answer page's requests per minute (0 = no limit)
- ``KEHU_KB_VOTE_RATE_PER_IP``: the public FAQ's helpful votes per minute from one address (default 30)
- ``KEHU_INTAKE_RATE_PER_IP``, ``KEHU_INTAKE_LOOKUP_RATE_PER_IP``: the public service form's submissions and
  status lookups per minute from one address (5, 60); ``KEHU_INTAKE_DUPLICATE_MINUTES``: a repeated
  submission within it is merged into the first case (10); ``KEHU_INTAKE_ATTACHMENT_MAX_MB`` (10)
- ``KEHU_RETAIN_INTERACTIONS_DAYS``, ``KEHU_RETAIN_SURVEY_ANSWERS_DAYS``: retention of personal data in days
  (0 = keep forever; docs/operations.md)
- ``KEHU_LOGIN_FAILURES_PER_ACCOUNT``, ``KEHU_LOGIN_FAILURES_PER_ADDRESS``, ``KEHU_LOGIN_LOCKOUT_MINUTES``:
  failed logins (and bad API tokens, by address) before a lockout, and how long it lasts
- ``KEHU_TRUSTED_PROXIES``: addresses of reverse proxies whose ``X-Forwarded-For`` names the client
- ``KEHU_PASSWORD_MIN_LENGTH``: the shortest password accepted (default 8)
- ``KEHU_DUPLICATE_NOTICES_PER_HOUR``: how many customers outside their scope a user may be told
  about by duplicate checks in an hour (default 100; 0 = no limit; kehu/customers/duplicates.py)
- ``KEHU_BACKUP_DIR`` where backups are kept, default ``var/backups``; ``KEHU_BACKUP_SCHEDULE`` a cron
  expression in the server's time zone, default ``30 2 * * *`` (``off`` for none); ``KEHU_BACKUP_KEEP``
  how many finished backups to keep, default 7; ``KEHU_PG_BIN`` the directory of pg_dump, pg_restore
  and psql when they are not on the PATH (docs/operations.md, Backup and restore); ``KEHU_RESTORE_LOCK``
  the lock file `kehu restore` holds (default ``var/restore.lock``; kehu/runtime/maintenance.py)
- ``KEHU_WORKING_HOURS``: the company's working hours for service-level clocks, default
  ``09:00-12:00,13:00-18:00`` (in ``KEHU_TIME_ZONE``); ``KEHU_SLA_WARNING_SHARE``: the share of a promise
  at which the person handling a case is warned (default 0.8); ``KEHU_SLA_ESCALATE_EVERY``: a further
  escalation level each time this share of the promise has run late (default 0.5)
- ``KEHU_VISIT_DAY_TARGET``: a salesperson's daily visits, existing + new customers (default ``7+3``;
  per role: ``salesperson=7+3,sales_manager=2+1``; ``*=`` for the roles not named)
- ``KEHU_EMPLOYEE_MIN_GROUP``: the anonymity threshold of employee-survey results: no group (team, role)
  with fewer respondents is shown (default 5, never below 3; kehu/surveys/staff)
- ``KEHU_PAYMENT_DAYS``: the company's payment terms in days (账期, default 30), for an order with no payment due
  date whose customer's terms set none (receivables ageing, kehu/sales/performance.py)
- ``KEHU_FORECAST_COMMIT``, ``KEHU_FORECAST_BEST_CASE``: the probability (%) from which an open
  opportunity counts as commit (default 70) and best case (default 30) in the sales forecast
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
    "csp",
    "ninja",  # serves the API docs (Swagger UI) from its static files, not a CDN
    "axes",  # login throttling (kehu/accounts/throttle.py)
    "kehu.org",
    "kehu.audit",
    "kehu.runtime",
    "kehu.accounts",
    "kehu.numbering",
    "kehu.customers",
    "kehu.engagement",
    "kehu.sales",
    "kehu.imports",
    "kehu.insights",
    "kehu.surveys",
    "kehu.privacy",
    "kehu.backup",
    "kehu.attachments",
    "kehu.service",
    "kehu.customfields",
    "kehu.kb",
    "kehu.marketing.winback",
    "kehu.marketing.coupons",
    "kehu.marketing.membership",
    "kehu.marketing.outreach",
    "kehu.marketing.care",
    "kehu.marketing.targeting",
    "kehu.marketing.referrals",
    "kehu.marketing.campaigns",
    "kehu.partners",
    "kehu.web",
    "kehu.demo",
]

MIDDLEWARE = [
    "kehu.runtime.middleware.ProxyClientAddressMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # 503 while `kehu restore` replaces the database: before anything reads it (the session, the user).
    "kehu.runtime.maintenance.MaintenanceMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "kehu.org.middleware.UserLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "kehu.org.middleware.ActivateUserLanguageMiddleware",
    # partner users: the partner portal's pages only (404 elsewhere, kehu/org/policies.py)
    "kehu.org.middleware.PartnerPortalMiddleware",
    # After the language is known (its answers are translated), before any view reads the request.
    "kehu.web.request_guard.RequestGuardMiddleware",
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
# PostgreSQL: a worker keeps its connection for a minute instead of opening one per request
# (a new connection costs a backend process and a few milliseconds), checked before reuse;
# KEHU_CONN_MAX_AGE=0 closes it after each request (e.g. behind PgBouncer in transaction mode).
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("KEHU_CONN_MAX_AGE", "60"))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)

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
# Service levels (kehu/service/sla.py): working hours, warning share, escalation interval.
KEHU_WORKING_HOURS = os.environ.get("KEHU_WORKING_HOURS", "09:00-12:00,13:00-18:00")
KEHU_SLA_WARNING_SHARE = float(os.environ.get("KEHU_SLA_WARNING_SHARE", "0.8"))
KEHU_SLA_ESCALATE_EVERY = float(os.environ.get("KEHU_SLA_ESCALATE_EVERY", "0.5"))
# The sales forecast (kehu/sales/forecast.py): probability (%) from which an open opportunity is
# commit, and best case.
KEHU_FORECAST_COMMIT = int(os.environ.get("KEHU_FORECAST_COMMIT", "70"))
KEHU_FORECAST_BEST_CASE = int(os.environ.get("KEHU_FORECAST_BEST_CASE", "30"))
# A partner behind its target (kehu/partners/followup.py): a task for its channel manager when
# its sales are below BEHIND_RATIO x the share of the target period gone, once at least
# BEHIND_AFTER of the period has gone.
KEHU_PARTNER_BEHIND_RATIO = float(os.environ.get("KEHU_PARTNER_BEHIND_RATIO", "0.7"))
KEHU_PARTNER_BEHIND_AFTER = float(os.environ.get("KEHU_PARTNER_BEHIND_AFTER", "0.25"))
USE_TZ = True
LANGUAGE_COOKIE_NAME = "kehu_language"

# Static files (kehu/runtime/staticfiles.py): `kehu serve` collects them into var/static with
# hashed names and gzip/brotli copies, which WhiteNoise serves with a year-long immutable cache
# header; before any collection (tests, development) the plain names come from the apps' folders.
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    # the chart library built by vl-convert (var/cache/vega-bundle-<version>.js)
    "kehu.runtime.staticfiles.ChartBundleFinder",
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "kehu.runtime.staticfiles.KehuStaticStorage"},
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
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Content-Security-Policy (django-csp 4): every script, style sheet, font and image
# comes from Kehu itself; no inline script, style element or style attribute, no
# eval (charts run Vega's expression interpreter, htmx has allowEval off), no
# framing, no plugins. A nonce is there for a template that really needs an inline
# <script nonce="{{ request.csp_nonce }}">; none does today.
from csp.constants import NONCE, NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Running behind a reverse proxy (nginx, Caddy, a load balancer) that terminates HTTPS:
# KEHU_TRUSTED_PROXIES (the proxies' addresses, below with the login throttling) makes Kehu
# trust X-Forwarded-Proto (is the request HTTPS?) and X-Forwarded-Host (the name the client
# used), and take the client's address from X-Forwarded-For for everything that reads
# REMOTE_ADDR (kehu/runtime/middleware.py: the answer page's limits, the log, axes).
# Only with a proxy in front that sets those headers itself. docs/operations.md.
if os.environ.get("KEHU_TRUSTED_PROXIES", "").strip():
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
# A request body (form fields, JSON) larger than this is refused with 413; the file
# parts of an upload form do not count.
DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024
# The longest URL (path and query string, in bytes) answered; longer ones get 414.
KEHU_MAX_URL_LENGTH = int(os.environ.get("KEHU_MAX_URL_LENGTH", "8000"))
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

EMAIL_BACKEND = os.environ.get("KEHU_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_CURRENCY = "CNY"

HUEY_URL = os.environ.get("KEHU_HUEY", "")

# The cache, shared by all of the server's processes: the database's table kehu_cache
# (made by `kehu migrate`) by default, Redis with KEHU_CACHE=redis://127.0.0.1:6379/1;
# KEHU_CACHE=locmem keeps it in each process's memory (one process only). The answer
# page's rate limits count in Redis or in the database (kehu/runtime/ratelimit.py).
_CACHE_URL = os.environ.get("KEHU_CACHE", "").strip()
if _CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    _CACHE = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _CACHE_URL}
elif _CACHE_URL.lower() == "locmem":
    _CACHE = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "kehu"}
elif _CACHE_URL and _CACHE_URL.lower() not in ("db", "database"):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"KEHU_CACHE: expected redis://..., locmem or db, got {_CACHE_URL!r}")
else:
    _CACHE = {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "kehu_cache"}
CACHES = {"default": _CACHE}
# Sessions: read from the cache and written through to the database when the cache is Redis
# (a login survives a Redis restart; a request reads its session without a query); in the
# database otherwise (the database cache would only add a second query).
if _CACHE["BACKEND"].endswith("RedisCache"):
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# Surveys: the address respondents reach Kehu at (their personal links /s/<token>/ and QR codes),
# the sender of invitations, and the answer page's rate limits (requests per minute; 0 = none).
# Unset, it is the address `kehu serve` serves (KEHU_SERVED_URL, set by the server:
# kehu/runtime/public_url.py), else http://127.0.0.1:8000.
KEHU_PUBLIC_URL = (os.environ.get("KEHU_PUBLIC_URL", "").strip() or os.environ.get("KEHU_SERVED_URL", "").strip()
                   or "http://127.0.0.1:8000").rstrip("/")

# HTTPS: when Kehu is reached at an https:// address, cookies are sent over HTTPS only
# and browsers are told to use nothing else (HSTS, a year unless KEHU_HSTS_SECONDS says
# otherwise; 0 turns it off). HSTS goes only on HTTPS responses — behind a proxy set
# KEHU_TRUSTED_PROXIES so Kehu knows which those are. KEHU_SSL_REDIRECT=1 sends plain-HTTP
# requests to HTTPS (usually the proxy's job).
KEHU_HTTPS = KEHU_PUBLIC_URL.lower().startswith("https://")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = LANGUAGE_COOKIE_SECURE = KEHU_HTTPS
SECURE_HSTS_SECONDS = int(os.environ.get("KEHU_HSTS_SECONDS", "31536000" if KEHU_HTTPS else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("KEHU_HSTS_SUBDOMAINS")
SECURE_SSL_REDIRECT = _env_bool("KEHU_SSL_REDIRECT")
DEFAULT_FROM_EMAIL = os.environ.get("KEHU_FROM_EMAIL", "Kehu <noreply@localhost>")
EMAIL_HOST = os.environ.get("KEHU_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("KEHU_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("KEHU_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("KEHU_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = _env_bool("KEHU_EMAIL_TLS")
# SMS to customers (kehu/marketing/outreach/channels.py): the console, or an HTTP JSON gateway.
KEHU_SMS_PROVIDER = os.environ.get("KEHU_SMS_PROVIDER", "console")
KEHU_SMS_URL = os.environ.get("KEHU_SMS_URL", "")
KEHU_SMS_KEY = os.environ.get("KEHU_SMS_KEY", "")
KEHU_SMS_SENDER = os.environ.get("KEHU_SMS_SENDER", "")
KEHU_SMS_TIMEOUT = float(os.environ.get("KEHU_SMS_TIMEOUT", "10"))
# Long-running jobs (kehu/runtime/liveness.py): heartbeat interval, and the age of the last
# heartbeat after which a "running" job counts as interrupted.
KEHU_HEARTBEAT_SECONDS = float(os.environ.get("KEHU_HEARTBEAT_SECONDS", "10"))
KEHU_JOB_STALE_SECONDS = float(os.environ.get("KEHU_JOB_STALE_SECONDS", "300"))
KEHU_ANSWER_RATE_PER_IP = int(os.environ.get("KEHU_ANSWER_RATE_PER_IP", "300"))
# the public FAQ's "was this helpful" votes per minute from one address (0 = no limit)
KEHU_KB_VOTE_RATE_PER_IP = int(os.environ.get("KEHU_KB_VOTE_RATE_PER_IP", "30"))
KEHU_ANSWER_RATE_PER_TOKEN = int(os.environ.get("KEHU_ANSWER_RATE_PER_TOKEN", "60"))
# The public service form (kehu/service/intake.py): submissions per minute from one address, status
# lookups per minute from one address (0 = no limit), the window in which a repeated submission is
# merged into the first case, and the size limit of its attachment.
KEHU_INTAKE_RATE_PER_IP = int(os.environ.get("KEHU_INTAKE_RATE_PER_IP", "5"))
KEHU_INTAKE_LOOKUP_RATE_PER_IP = int(os.environ.get("KEHU_INTAKE_LOOKUP_RATE_PER_IP", "60"))
KEHU_INTAKE_DUPLICATE_MINUTES = int(os.environ.get("KEHU_INTAKE_DUPLICATE_MINUTES", "10"))
KEHU_INTAKE_ATTACHMENT_MAX_MB = int(os.environ.get("KEHU_INTAKE_ATTACHMENT_MAX_MB", "10"))
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

# Duplicate checks (create form, customer import): customers outside the user's scope they may be
# told about in an hour, counted in the cache (kehu.customers.duplicates; 0 = no limit).
KEHU_DUPLICATE_NOTICES_PER_HOUR = int(os.environ.get("KEHU_DUPLICATE_NOTICES_PER_HOUR", "100"))

# Backups (kehu/backup, docs/operations.md): the directory, the schedule (cron, server time zone), retention.
KEHU_RESTORE_LOCK = Path(os.environ.get("KEHU_RESTORE_LOCK", "") or VAR_DIR / "restore.lock")
if not KEHU_RESTORE_LOCK.is_absolute():
    KEHU_RESTORE_LOCK = HOME / KEHU_RESTORE_LOCK
KEHU_BACKUP_DIR = Path(os.environ.get("KEHU_BACKUP_DIR", "") or VAR_DIR / "backups")
if not KEHU_BACKUP_DIR.is_absolute():
    KEHU_BACKUP_DIR = HOME / KEHU_BACKUP_DIR
KEHU_BACKUP_SCHEDULE = os.environ.get("KEHU_BACKUP_SCHEDULE", "30 2 * * *")
KEHU_BACKUP_KEEP = int(os.environ.get("KEHU_BACKUP_KEEP", "7") or 7)
KEHU_PG_BIN = os.environ.get("KEHU_PG_BIN", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("KEHU_LOG_LEVEL", "WARNING")},
}

NINJA_PAGINATION_CLASS = "kehu.api.pagination.CursorPagination"

# Cases (kehu/service): the handling steps (LSPCAS) a complaint needs done before it
# is resolved, comma-separated; all six by default, "" for none.
KEHU_COMPLAINT_REQUIRED_STEPS = [
    s.strip() for s in os.environ.get("KEHU_COMPLAINT_REQUIRED_STEPS", "listen,share,probe,check,act,satisfy").split(",")
    if s.strip()
]
VISIT_DAY_TARGET = os.environ.get("KEHU_VISIT_DAY_TARGET", "7+3")
PAYMENT_DAYS = int(os.environ.get("KEHU_PAYMENT_DAYS", "30") or 30)
# Checked (a whole number, at least 3) by kehu.surveys.staff.results.min_group and `kehu check`.
EMPLOYEE_MIN_GROUP = os.environ.get("KEHU_EMPLOYEE_MIN_GROUP", "5").strip() or "5"
# The company's header on quotes (报价单 PDF): name in Chinese and English, address, phone, tax number.
KEHU_COMPANY = {
    "name_zh": os.environ.get("KEHU_COMPANY_NAME", ""),
    "name_en": os.environ.get("KEHU_COMPANY_NAME_EN", ""),
    "address": os.environ.get("KEHU_COMPANY_ADDRESS", ""),
    "phone": os.environ.get("KEHU_COMPANY_PHONE", ""),
    "tax_id": os.environ.get("KEHU_COMPANY_TAX_ID", ""),
}
