"""Settings of the inventory backend, read from the environment in this one module.

With no environment at all the project runs on the embedded default: a SQLite file in the
project folder, the in-process cache and DEBUG on. Production sets DATABASE_URL, REDIS_URL,
SECRET_KEY and DEBUG=false; `.env.example` lists every variable with its default.
"""

import re
from datetime import timedelta
from pathlib import Path

import environ
from corsheaders.defaults import default_headers as default_cors_headers
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from inventory_project import __version__
from inventory_project.jobs.registry import JobName

BASE_DIR = Path(__file__).resolve().parent.parent


def _duration(text: str, *, name: str) -> timedelta:
    """Parse "12h", "30m", "7d", "45s" (the format of JWT_EXPIRES_IN)."""
    match = re.fullmatch(r"\s*(\d+)\s*([smhd])\s*", text or "")
    if not match:
        raise ImproperlyConfigured(f"{name}={text!r}: expected a number and s, m, h or d.")
    unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[match[2]]
    return timedelta(**{unit: int(match[1])})


env = environ.Env()
# A local .env is a convenience for development; real deployments set the environment.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)
APP_VERSION = env.str("APP_VERSION", default=__version__)
ENVIRONMENT = env.str("ENVIRONMENT", default="development" if DEBUG else "production")

# The fallback key only exists so the embedded default starts with no environment;
# the `inventory.E001` system check refuses it when DEBUG is off.
INSECURE_DEV_SECRET_KEY = "django-insecure-embedded-default-only-never-in-production"
SECRET_KEY = env.str("SECRET_KEY", default=INSECURE_DEV_SECRET_KEY)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["*"] if DEBUG else ["localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "inventory_project.admin_site.InventoryAdminConfig",  # django.contrib.admin, our site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # Before django_crontab: its `crontab` command is the platform's (which refuses without cron).
    "inventory_project",
    "django_crontab",
    "corsheaders",
    "csp",
    "rest_framework_simplejwt.token_blacklist",
    "django_ratelimit",
    "auditlog",
    "accounts",
    "items",
    "inventory",
    "forecasting",
]

MIDDLEWARE = [
    # First after the metrics, so every answer carries the version, redirects and 429s included.
    "inventory_project.http.middleware.AppVersionMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "inventory_project.http.middleware.HtmlContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "inventory_project.http.middleware.RequestIdMiddleware",
    "inventory_project.http.logging.AccessLogMiddleware",
    "inventory_project.http.metrics.MetricsMiddleware",
    # Sessions, the session's user and messages run for the admin and for callers that bring
    # the session cookie; a bearer-token API call skips them (`carries_browser_session`).
    "inventory_project.http.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "inventory_project.http.middleware.AuthenticationMiddleware",
    "inventory_project.audit.AuditMiddleware",
    "inventory_project.http.ratelimit.ApiRateLimitMiddleware",
    "inventory_project.http.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "inventory_project.http.middleware.ReleaseRenderedViewMiddleware",
]

ROOT_URLCONF = "inventory_project.urls"
WSGI_APPLICATION = "inventory_project.wsgi.application"

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
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the writer; IMMEDIATE takes the write lock at BEGIN, so two
    # stock changes serialize instead of failing with "database is locked" on lock upgrade.
    # synchronous=NORMAL (with WAL) skips the fsync at each commit and syncs the log at
    # checkpoints: a crashed or killed process loses nothing and the file never corrupts, but a
    # power cut or an OS crash may roll back the last transactions committed before it. That
    # suits the embedded default; data that must outlive a power cut belongs on PostgreSQL.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
else:
    # Fail fast when the database is away, so probes and requests do not hang on it.
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env.int(
        "DB_CONNECT_TIMEOUT", default=5
    )
# A connection lives across requests: opening one costs a TCP and auth round trip on
# PostgreSQL, and on SQLite a file open plus the pragmas above (half of a light request's time).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Test runs may name their own test database, so two runs on one server never collide.
if env.str("TEST_DATABASE_NAME", default=""):
    DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="inventory"),
            "OPTIONS": {
                # Short timeouts: a Redis that went away must not hang requests.
                "SOCKET_CONNECT_TIMEOUT": env.float("REDIS_CONNECT_TIMEOUT", default=0.5),
                "SOCKET_TIMEOUT": env.float("REDIS_SOCKET_TIMEOUT", default=0.5),
            },
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "inventory-default",
        }
    }

CACHE_TTL_ITEMS = env.int("CACHE_TTL_ITEMS", default=300)
CACHE_TTL_SUMMARY = env.int("CACHE_TTL_SUMMARY", default=300)
CACHE_TTL_STOCK = env.int("CACHE_TTL_STOCK", default=300)
# After a cache failure, seconds to serve from the database before trying the cache again.
CACHE_RETRY_SECONDS = env.float("CACHE_RETRY_SECONDS", default=5.0)
# Forecast answers: fresh for FORECAST_CACHE_TTL seconds, then served stale for up to
# CACHE_STALE_TTL more while one request rebuilds them (stale-while-revalidate).
FORECAST_CACHE_TTL = env.int("FORECAST_CACHE_TTL", default=300)
CACHE_STALE_TTL = env.int("CACHE_STALE_TTL", default=3600)
# After each daily forecast the cache is filled for every item (in a thread when async),
# for at most CACHE_PRELOAD_TIMEOUT_MS.
FORECAST_CACHE_PRELOAD = env.bool("FORECAST_CACHE_PRELOAD", default=True)
CACHE_PRELOAD_ASYNC = env.bool("CACHE_PRELOAD_ASYNC", default=True)
CACHE_PRELOAD_TIMEOUT_MS = env.int("CACHE_PRELOAD_TIMEOUT_MS", default=30000)

# Readiness reports how many rows this model holds (`database.items_count`).
HEALTH_ITEMS_MODEL = "items.Item"

# --- Metrics ---
# /metrics answers scrapers that send the bearer token or come from an allowed network. With
# neither set it is open in development (DEBUG) and closed to everyone otherwise: the numbers name
# routes, users' roles and job outcomes, which are nobody else's business.
METRICS_BEARER_TOKEN = env.str("METRICS_BEARER_TOKEN", default="")
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=[])
METRICS_OPEN_WITHOUT_RESTRICTION = DEBUG

# --- Jobs ---
# A job whose heartbeat is older than this is presumed dead; its lock may be taken over.
SCHEDULER_WATCHDOG_TIMEOUT_MS = env.int("SCHEDULER_WATCHDOG_TIMEOUT_MS", default=120000)
JOB_STALE_SECONDS = SCHEDULER_WATCHDOG_TIMEOUT_MS // 1000
# The watchdog (`manage.py watchdog`) re-runs the daily forecast once it is 1.5 x this late.
FORECAST_INTERVAL_HOURS = env.int("FORECAST_INTERVAL_HOURS", default=24)
# Consecutive daily forecasts with failing health before the watchdog raises an alert.
MAX_HEALTH_FAILURES = env.int("MAX_HEALTH_FAILURES", default=6)  # the ops changelog's value

# --- Cron (django-crontab: `manage.py crontab add`) --------------------------------------------
# Each entry runs management commands; the commands take their own locks and record their runs.
# The daily line runs the maintenance, then the forecast (which reads what it leaves behind).
# A job's command has the job's name; plain strings (`.value`), as django-crontab prints the lines.
# django-crontab knows an installed line by a hash of its entry, function path included: the
# path stays `inventory_project.cron` (tests/platform/test_cron_lines.py pins the hashes).
CRON_DAILY = env.str("CRON_DAILY", default="5 2 * * *")
CRON_RETRAIN = env.str("CRON_RETRAIN", default="0 4 * * 0")
CRON_REPORT = env.str("CRON_REPORT", default="20 2 * * *")
CRON_WATCHDOG = env.str("CRON_WATCHDOG", default="*/5 * * * *")
CRONJOBS = [
    (
        CRON_DAILY,
        "inventory_project.cron.run_commands",
        [
            [JobName.MAINTENANCE.value, "--trigger", "cron"],
            [JobName.FORECAST.value, "--trigger", "cron", "--no-progress"],
        ],
    ),
    (
        CRON_RETRAIN,
        "inventory_project.cron.run_command",
        [JobName.RETRAIN.value, "--trigger", "cron", "--no-progress"],
    ),
    (
        CRON_REPORT,
        "inventory_project.cron.run_command",
        [JobName.SEND_FORECAST_REPORT.value, "--trigger", "cron"],
    ),
    (
        CRON_WATCHDOG,
        "inventory_project.cron.run_command",
        [JobName.WATCHDOG.value, "--trigger", "cron"],
    ),
]
# Jobs lock themselves in the database (across hosts); django-crontab's file lock adds nothing.
CRONTAB_LOCK_JOBS = False
CRONTAB_COMMAND_SUFFIX = "2>&1"

# --- CORS (django-cors-headers) -------------------------------------------------------------
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWLIST", default=[])
CORS_ALLOW_CREDENTIALS = True
CORS_URLS_REGEX = r"^/(api|jobs)/.*$"
CORS_EXPOSE_HEADERS = [
    "X-Request-ID",
    "X-App-Version",
    "X-Cache",
    "Retry-After",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "Idempotent-Replayed",
]
# Browsers may send these besides the defaults: a trace id, and a key that makes a retry safe.
CORS_ALLOW_HEADERS = (*default_cors_headers, "x-request-id", "idempotency-key")

# --- Content-Security-Policy (django-csp, on HTML answers only) --------------------------------
# The admin, the CSV import pages and the API docs load scripts, styles and fonts from our own
# static files only, and none of them has inline script, style or event handler, so nothing
# inline runs. Two exceptions: the forecast chart is an inline PNG (data:), and Django's own
# admin/change_list.html has one inline <style> (only when a ModelAdmin turns off both action
# bars), allowed by its hash rather than by 'unsafe-inline'.
ADMIN_CHANGE_LIST_STYLE_HASH = "'sha256-blvLUW3UscWqsXGByNOqdBboM+ShWAuugp2mC/wbafU='"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, ADMIN_CHANGE_LIST_STYLE_HASH],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.EmailBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Password reset (accounts.services.password_reset_request): the e-mailed token is Django's,
# single use (it hashes the password and the last login) and valid this long.
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT_MINUTES", default=60) * 60
# The link in the reset e-mail: the front end's page, with {uid} and {token} filled in. The
# e-mail also carries both in plain text, for API clients (POST /api/auth/password-reset/confirm).
PASSWORD_RESET_URL = env.str(
    "PASSWORD_RESET_URL", default="http://localhost:3000/reset-password?uid={uid}&token={token}"
)
if "{uid}" not in PASSWORD_RESET_URL or "{token}" not in PASSWORD_RESET_URL:
    raise ImproperlyConfigured("PASSWORD_RESET_URL must contain {uid} and {token}.")

# --- I18N, static ---------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True
# Django's default of 1,000 form fields would refuse the stock take of a location with more than
# about a thousand stock records (one field each); a request body stays capped by
# DATA_UPLOAD_MAX_MEMORY_SIZE.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 20_000

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["inventory_project.api.renderers.EnvelopeJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["inventory_project.api.parsers.SafeJSONParser"],
    # JSON whatever the Accept header says, as the wire contract's consumers expect: no 406.
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "inventory_project.api.negotiation.DefaultToFirstRenderer",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.CachedUserJWTAuthentication",
        # Lets someone signed in to the admin try the API from /api/docs/.
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.permissions.RolePermission"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "inventory_project.api.ordering.StableOrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "inventory_project.api.pagination.OptionalLimitOffsetPagination",
    "EXCEPTION_HANDLER": "inventory_project.api.exceptions.envelope_exception_handler",
    # OPTIONS answers in the envelope too; DRF's own metadata would be a bare object.
    "DEFAULT_METADATA_CLASS": "inventory_project.api.metadata.EnvelopeMetadata",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "COERCE_DECIMAL_TO_STRING": False,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
API_PAGE_MAX_LIMIT = env.int("API_PAGE_MAX_LIMIT", default=1000)
# Reads need a viewer token; true lets anonymous callers read, for legacy consumers.
API_ANONYMOUS_READ = env.bool("API_ANONYMOUS_READ", default=False)

# --- CSV imports ------------------------------------------------------------------------------
# The largest CSV an import accepts, from any source (API body or upload, admin, command); a
# larger one is refused with 413 before it is read. Files are streamed, never held in memory.
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=256 * 1024 * 1024)
# The longest CSV row an import reads, in bytes: one line, or the lines of a row whose quoted
# cells hold line breaks. A longer one is refused (400, naming its line) as soon as it is seen,
# so a file without line breaks costs a request no more than this and one 64 KiB chunk. The
# default is a hundred times the widest valid row (every column at its length limit), with room
# for the notes columns a spreadsheet adds and the import ignores.
CSV_MAX_LINE_BYTES = env.int("CSV_MAX_LINE_BYTES", default=64 * 1024)
# Columns a CSV header may have (the import reads a handful; the rest are ignored).
CSV_MAX_COLUMNS = env.int("CSV_MAX_COLUMNS", default=1000)
# An .xlsx import is a zip: the most its members may unpack to (a zip bomb is refused unread),
# and the most its table of shared texts may (it is the one part read into memory whole).
XLSX_MAX_UNPACKED_BYTES = env.int("XLSX_MAX_UNPACKED_BYTES", default=512 * 1024 * 1024)
XLSX_MAX_SHARED_STRINGS_BYTES = env.int("XLSX_MAX_SHARED_STRINGS_BYTES", default=64 * 1024 * 1024)
# Rows validated and written per set-based statement.
IMPORT_BATCH_SIZE = env.int("IMPORT_BATCH_SIZE", default=5000)
# An import that wrote at least this many rows refreshes the planner statistics of its tables
# (inventory_project.planner_statistics): a few milliseconds, bounded, after the commit.
IMPORT_ANALYZE_MIN_ROWS = env.int("IMPORT_ANALYZE_MIN_ROWS", default=1000)
# Bad rows listed in an import's answer; the rest are counted (`errors_omitted`).
IMPORT_MAX_REPORTED_ERRORS = env.int("IMPORT_MAX_REPORTED_ERRORS", default=100)
# Where the admin keeps an uploaded CSV between its preview and the confirmation (empty: the
# system's temporary directory). With several hosts behind a balancer and no sticky sessions it
# must be a directory they share, or a confirmation may reach a host that never saw the file.
IMPORT_UPLOAD_DIR = env.str("IMPORT_UPLOAD_DIR", default="")
# A stock import that names an unknown location code creates the location; false refuses those
# rows instead.
IMPORT_CREATE_LOCATIONS = env.bool("IMPORT_CREATE_LOCATIONS", default=True)

# --- Forecasting (forecasting.services) ------------------------------------------------------
# Items per batch: each batch's results are committed before the next starts.
FORECAST_BATCH_SIZE = env.int("FORECAST_BATCH_SIZE", default=500)
FORECAST_HISTORY_DAYS = env.int("FORECAST_HISTORY_DAYS", default=730)
FORECAST_HORIZON_DAYS = env.int("FORECAST_HORIZON_DAYS", default=28)
# The last days of history held out to measure each item's accuracy.
FORECAST_HOLDOUT_DAYS = env.int("FORECAST_HOLDOUT_DAYS", default=28)
# Worker processes for the model fits (the statsforecast models are single-threaded).
FORECAST_N_JOBS = env.int("FORECAST_N_JOBS", default=1)
# Rolling origins of the weekly retrain's cross-validation.
FORECAST_RETRAIN_FOLDS = env.int("FORECAST_RETRAIN_FOLDS", default=3)
# Runs of each kind kept; older ones are deleted after each daily run.
FORECAST_RETENTION_RUNS = env.int("FORECAST_RETENTION_RUNS", default=30)
# Health of a daily run ("failing" means worse than it should be, not hard to forecast): each
# demand class with at least HEALTH_MIN_CLASS_ITEMS backtested items, and all items together,
# are compared with the baseline (the mean of the last 28 days) on the same holdout days. A
# group fails when its pooled WAPE x 100 (the "MAPE", in %) is over MAPE_THRESHOLD *and*
# more than HEALTH_BASELINE_MARGIN above the baseline's WAPE; the run fails when any group does.
# Intermittent items run at 60-150% WAPE by nature, so the threshold alone would fail every
# kitchen that stocks them; one no better than the baseline and over the threshold is broken.
MAPE_THRESHOLD = env.float("MAPE_THRESHOLD", default=20.0)
HEALTH_BASELINE_MARGIN = env.float("HEALTH_BASELINE_MARGIN", default=0.10)
HEALTH_MIN_CLASS_ITEMS = env.int("HEALTH_MIN_CLASS_ITEMS", default=5)
# An item is high-variance when its item_mape exceeds this x the average of its demand class.
MAPE_ITEM_THRESHOLD_MULTIPLIER = env.float("MAPE_ITEM_THRESHOLD_MULTIPLIER", default=1.5)
MAX_HIGH_VARIANCE_ITEMS_IN_REPORT = env.int("MAX_HIGH_VARIANCE_ITEMS_IN_REPORT", default=10)

# --- E-mail (the daily forecast report) ----------------------------------------------------
# With no SMTP host in development, mail is printed to the console instead of being sent.
EMAIL_HOST = env.str("EMAIL_HOST", default="")
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default=(
        "django.core.mail.backends.console.EmailBackend"
        if DEBUG and not EMAIL_HOST
        else "django.core.mail.backends.smtp.EmailBackend"
    ),
)
EMAIL_PORT = env.int("EMAIL_PORT", default=587)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)
# Seconds to wait for the SMTP server: a hung server must not hold the job's lock for ever.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="inventory@localhost")
REPORT_RECIPIENTS = env.list("REPORT_RECIPIENTS", default=[])
# Lots expiring within this many days are "expiring" on the admin's dashboard and among the
# report's stock alerts (REPORT_EXPIRING_DAYS is its older name, still read).
EXPIRY_WARNING_DAYS = env.int(
    "EXPIRY_WARNING_DAYS", default=env.int("REPORT_EXPIRING_DAYS", default=7)
)
# Reorder suggestions (forecasting.selectors): days from ordering to delivery (a request may
# name its own), and the days an order must last after it arrives, until the next review.
REORDER_LEAD_TIME_DAYS = env.int("REORDER_LEAD_TIME_DAYS", default=2)
REORDER_REVIEW_DAYS = env.int("REORDER_REVIEW_DAYS", default=7)

# Stock operations sent with an Idempotency-Key replay their first answer to retries for this
# long (inventory_project.api.idempotency).
IDEMPOTENCY_KEY_HOURS = env.int("IDEMPOTENCY_KEY_HOURS", default=24)

# --- JWT (djangorestframework-simplejwt) ----------------------------------------------------
# Without JWT_SECRET the embedded default signs with SECRET_KEY; with DEBUG off the
# `accounts.E001` check (run by wsgi.py at start-up) refuses a missing or weak secret.
JWT_SECRET = env.str("JWT_SECRET", default="")
# Key rotation: new tokens are signed with JWT_SECRET only; tokens signed with the previous
# secret are still accepted until they expire (or until this is emptied). See accounts.tokens.
JWT_SECRET_PREVIOUS = env.str("JWT_SECRET_PREVIOUS", default="")
JWT_ALGORITHM = env.str("JWT_ALGORITHM", default="HS256")
JWT_EXPIRES_IN = env.str("JWT_EXPIRES_IN", default="12h")
JWT_REFRESH_EXPIRES_IN = env.str("JWT_REFRESH_EXPIRES_IN", default="7d")
# Seconds an API caller's state (active, role, password) stays cached; any change drops it
# at once. 0 reads the database on every request.
AUTH_CACHE_SECONDS = env.int("AUTH_CACHE_SECONDS", default=60)
SIMPLE_JWT = {
    "SIGNING_KEY": JWT_SECRET or SECRET_KEY,
    "ALGORITHM": JWT_ALGORITHM,
    "ACCESS_TOKEN_LIFETIME": _duration(JWT_EXPIRES_IN, name="JWT_EXPIRES_IN"),
    "REFRESH_TOKEN_LIFETIME": _duration(JWT_REFRESH_EXPIRES_IN, name="JWT_REFRESH_EXPIRES_IN"),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    # A password change revokes every token issued before it.
    "CHECK_REVOKE_TOKEN": True,
    "LEEWAY": 0,
    # Our access token class verifies with JWT_SECRET_PREVIOUS too (accounts.tokens).
    "AUTH_TOKEN_CLASSES": ("accounts.tokens.AccessToken",),
}

# --- Rate limits (django-ratelimit, counters in the default cache) ---------------------------
RATE_LIMIT_WINDOW_MIN = env.int("RATE_LIMIT_WINDOW_MIN", default=5)
RATE_LIMIT_MAX = env.int("RATE_LIMIT_MAX", default=100)
RATE_LIMIT_MAX_AUTH = env.int("RATE_LIMIT_MAX_AUTH", default=1000)
LOGIN_RATE_LIMIT_WINDOW_MIN = env.int("LOGIN_RATE_LIMIT_WINDOW_MIN", default=15)
LOGIN_RATE_LIMIT_PER_EMAIL = env.int("LOGIN_RATE_LIMIT_PER_EMAIL", default=10)
LOGIN_RATE_LIMIT_PER_IP = env.int("LOGIN_RATE_LIMIT_PER_IP", default=30)
# Password reset and change: every request counts, success or not.
# Reset requests per e-mail (no mail-bombing a user) and per IP, confirmations per IP (no
# guessing tokens), changes per user; a wrong current password also counts as a failed login.
PASSWORD_RATE_LIMIT_WINDOW_MIN = env.int("PASSWORD_RATE_LIMIT_WINDOW_MIN", default=60)
PASSWORD_RESET_RATE_LIMIT_PER_EMAIL = env.int("PASSWORD_RESET_RATE_LIMIT_PER_EMAIL", default=3)
PASSWORD_RESET_RATE_LIMIT_PER_IP = env.int("PASSWORD_RESET_RATE_LIMIT_PER_IP", default=10)
PASSWORD_RESET_CONFIRM_RATE_LIMIT_PER_IP = env.int(
    "PASSWORD_RESET_CONFIRM_RATE_LIMIT_PER_IP", default=10
)
PASSWORD_CHANGE_RATE_LIMIT_PER_USER = env.int("PASSWORD_CHANGE_RATE_LIMIT_PER_USER", default=5)
# Every limit, one row each: the routes it guards, what it counts per, and the names of the
# settings above that hold its limit and its window in minutes (read at each request). All count
# through django-ratelimit (`inventory_project.http.ratelimit`). The API tiers count every
# request under their routes but RATE_LIMIT_UNLIMITED_ROUTES, in the middleware: signed-in
# callers per user, the others per IP. The other rows are counted by their routes' views (and
# the failed logins by the login backend, for the admin sign-in too), which know the e-mail and
# whether the password was right (`accounts.ratelimit`).
RATE_LIMITS = {
    # group: (routes, per, limit setting, window setting)
    "api-anonymous": (
        ("/api/", "/jobs/"),
        "ip",
        "RATE_LIMIT_MAX",
        "RATE_LIMIT_WINDOW_MIN",
    ),
    "api-authenticated": (
        ("/api/", "/jobs/"),
        "user",
        "RATE_LIMIT_MAX_AUTH",
        "RATE_LIMIT_WINDOW_MIN",
    ),
    "login-failures-per-email": (
        ("/api/auth/login", "/api/auth/password-change", "/admin/login/"),
        "email",
        "LOGIN_RATE_LIMIT_PER_EMAIL",
        "LOGIN_RATE_LIMIT_WINDOW_MIN",
    ),
    "login-failures-per-ip": (
        ("/api/auth/login", "/api/auth/password-change", "/admin/login/"),
        "ip",
        "LOGIN_RATE_LIMIT_PER_IP",
        "LOGIN_RATE_LIMIT_WINDOW_MIN",
    ),
    "password-reset-per-email": (
        ("/api/auth/password-reset",),
        "email",
        "PASSWORD_RESET_RATE_LIMIT_PER_EMAIL",
        "PASSWORD_RATE_LIMIT_WINDOW_MIN",
    ),
    "password-reset-per-ip": (
        ("/api/auth/password-reset",),
        "ip",
        "PASSWORD_RESET_RATE_LIMIT_PER_IP",
        "PASSWORD_RATE_LIMIT_WINDOW_MIN",
    ),
    "password-reset-confirm-per-ip": (
        ("/api/auth/password-reset/confirm",),
        "ip",
        "PASSWORD_RESET_CONFIRM_RATE_LIMIT_PER_IP",
        "PASSWORD_RATE_LIMIT_WINDOW_MIN",
    ),
    "password-change-per-user": (
        ("/api/auth/password-change",),
        "user",
        "PASSWORD_CHANGE_RATE_LIMIT_PER_USER",
        "PASSWORD_RATE_LIMIT_WINDOW_MIN",
    ),
}
# Probes are never limited; the login route has its own limits on failures, so that an office
# behind one address can sign everyone in at nine without hitting the anonymous tier.
RATE_LIMIT_UNLIMITED_ROUTES = ("/api/health", "/api/auth/login")
# Who signed the bearer token of a request (a user id, checked without the database), so the
# middleware counts a token's calls on its user's tier.
RATE_LIMIT_USER_KEY = "accounts.ratelimit.bearer_user_id"
# The cache keys the request of a user id will read next (its cached state), read on Redis in
# the same round trip as the user's counter (`inventory_project.http.ratelimit`).
RATE_LIMIT_READ_ALONG = "accounts.authentication.state_cache_keys"
RATELIMIT_ENABLE = env.bool("RATE_LIMIT_ENABLED", default=True)
# A Redis outage must not take the API down with it: limits fail open (and say so in the log).
RATELIMIT_FAIL_OPEN = True
# Behind a proxy, the client address comes from the header it sets, and only on requests whose
# peer is one of TRUSTED_PROXIES (addresses or CIDR networks) or a unix socket. Loopback by
# default: the web server listens there for the nginx on this host; only local processes reach it.
# Empty: no header is believed from any address (TRUSTED_PROXY_IP_HEADER empty: none at all).
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=["127.0.0.1", "::1"])
TRUSTED_PROXY_IP_HEADER = env.str("TRUSTED_PROXY_IP_HEADER", default="HTTP_X_FORWARDED_FOR")
if not REDIS_URL:
    # The in-process cache counts per process; wsgi.py says so at start-up instead.
    SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]

SPECTACULAR_SETTINGS = {
    "TITLE": "Inventory backend API",
    "DESCRIPTION": (
        "Items, stock and its movement ledger. Wire-compatible with the v20 service: every "
        "answer is an envelope `{success, data, [count], [message]}` or "
        "`{success: false, error, code, [details]}`. Where v20 was wrong this API differs: "
        "reads need a viewer token (unless `API_ANONYMOUS_READ`), quantities are decimals, "
        "stock rows for unknown SKUs are refused, a stock import sets counts and an items "
        "import upserts by SKU (ids kept), CSV bodies are streamed up to `IMPORT_MAX_BYTES` "
        "(a 413 beyond), and every change of a quantity writes one ledger row."
    ),
    "VERSION": APP_VERSION,
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI served from our own static files: the docs work without internet access.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # The document's info.version follows APP_VERSION when it changes at run time (tests).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "inventory_project.api.schema_hooks.app_version",
    ],
    "ENUM_NAME_OVERRIDES": {
        "MovementKindEnum": "inventory.models.MovementKind",
        "MovementSourceEnum": "inventory.models.MovementSource",
        "SuccessEnum": "inventory_project.api.schema.SUCCESS_FLAG_CHOICES",
        "FailureEnum": "inventory_project.api.schema.FAILURE_FLAG_CHOICES",
    },
}

# --- Audit trail (django-auditlog; see inventory_project/audit.py) ---------------------------
# The request id is the correlation id; password hashes show only that they changed.
AUDITLOG_CID_GETTER = "inventory_project.audit.correlation_id"
AUDITLOG_MASK_CALLABLE = "inventory_project.audit.mask_secret"
AUDITLOG_DISABLE_REMOTE_ADDR = False

# --- Logging ---------------------------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json")
ACCESS_LOG_ROLE_RESOLVER = "accounts.selectors.request_role_name"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "inventory_project.http.logging.RequestIdFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": ["levelname", "name", "message", "request_id"],
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": True,
        },
        "text": {"()": "inventory_project.http.logging.DevFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        # 4xx answers are in the access log already; server errors still log with a trace.
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "django.server": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        "django.db.backends": {"level": "INFO"},
    },
}

# --- Production hardening -------------------------------------------------------------------
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    # Probes and scrapers talk plain HTTP inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^api/health", r"^metrics$"]
