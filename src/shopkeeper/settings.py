"""Settings come only from the environment (and an optional `.env` in the project root).

A local box keeps what it generates (secret key, SQLite database, cache, sent mail) under `var/`.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent.parent

env = environ.Env()
environ.Env.read_env(PROJECT_DIR / ".env", overwrite=False)

VAR_DIR = Path(env.str("SHOPKEEPER_VAR_DIR", default=str(PROJECT_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _local_secret_key() -> str:
    """A box without SECRET_KEY generates one once and keeps it under var/."""
    from django.core.management.utils import get_random_secret_key

    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(get_random_secret_key())
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="") or _local_secret_key()
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "shopkeeper.core",
    "shopkeeper.accounts",
    "shopkeeper.stores",
    "shopkeeper.catalog",
    "shopkeeper.inventory",
    "shopkeeper.customers",
    "shopkeeper.orders",
    "shopkeeper.intake",
    "shopkeeper.integrations",
]

MIDDLEWARE = [
    "shopkeeper.core.middleware.ApiProblemMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "shopkeeper.core.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "shopkeeper.urls"
ASGI_APPLICATION = "shopkeeper.asgi.application"
WSGI_APPLICATION = "shopkeeper.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "shopkeeper.core.context_processors.shell",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'shopkeeper.sqlite3'}"),
}
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db_url("DATABASE_REPLICA_URL")

for _db in DATABASES.values():
    if _db["ENGINE"] == "django.db.backends.sqlite3":
        _db["ENGINE"] = "shopkeeper.core.sqlite"  # writers queue on a lock file (core/sqlite/base.py)
        # WAL lets readers work while one writer writes; IMMEDIATE takes the write lock at BEGIN,
        # so two writers queue on the busy timeout instead of failing with "database is locked".
        _db["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=NORMAL;"
                "PRAGMA foreign_keys=ON;"
                "PRAGMA busy_timeout=30000;"
                "PRAGMA cache_size=-65536;"
                "PRAGMA temp_store=MEMORY;"
            ),
        }
        # Requests run on a lasting pool of threads (core/asgi.py), so each thread keeps its connection
        # and with it SQLite's page cache; a new connection per request starts that cache cold.
        _db["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=600)
        _db["CONN_HEALTH_CHECKS"] = True
        _db.setdefault("TEST", {})["NAME"] = env.str("TEST_SQLITE_NAME", default="") or None
    else:
        # Each process keeps a small pool (psycopg_pool) shared by its request threads and the
        # threads streams use: a request borrows a connection and returns it when it ends, so no
        # request pays for a new connection. DATABASE_POOL_MAX_SIZE=0 turns the pool off (e.g. behind
        # pgbouncer); connections then live CONN_MAX_AGE seconds per thread.
        _pool_max = env.int("DATABASE_POOL_MAX_SIZE", default=8)
        if _pool_max > 0:
            _db.setdefault("OPTIONS", {})["pool"] = {
                "min_size": min(2, _pool_max),
                "max_size": _pool_max,
                "timeout": env.int("DATABASE_POOL_TIMEOUT", default=30),
            }
            _db["CONN_MAX_AGE"] = 0
        else:
            _db.setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=600))
            _db.setdefault("CONN_HEALTH_CHECKS", True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, sessions, tasks -----------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_AGE = env.int("SHOPKEEPER_SESSION_SECONDS", default=int(timedelta(hours=12).total_seconds()))
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_HTTPONLY = True

TASKS = {
    "default": {
        "BACKEND": env.str("SHOPKEEPER_TASK_BACKEND", default="django_tasks_db.DatabaseBackend"),
    }
}

# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Failed logins allowed per username and per client address within the window.
LOGIN_THROTTLE_ATTEMPTS = env.int("SHOPKEEPER_LOGIN_ATTEMPTS", default=5)
LOGIN_THROTTLE_WINDOW = env.int("SHOPKEEPER_LOGIN_WINDOW_SECONDS", default=300)

# --- API ------------------------------------------------------------------------------------
API_RATE_LIMIT = env.int("SHOPKEEPER_API_RATE_LIMIT", default=600)  # requests per key per window
API_RATE_WINDOW = env.int("SHOPKEEPER_API_RATE_WINDOW_SECONDS", default=60)
API_MAX_BODY_BYTES = env.int("SHOPKEEPER_API_MAX_BODY_BYTES", default=2 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES
NINJA_PAGINATION_MAX_LIMIT = 500

# --- i18n -----------------------------------------------------------------------------------
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="en")
LANGUAGES = [
    ("en", _("English")),
    ("ru", _("Russian")),
    ("uk", _("Ukrainian")),
    ("zh-hans", _("Simplified Chinese")),
]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
# Date formats that differ from Django's for a language (English: day first, 24-hour clock).
FORMAT_MODULE_PATH = ["shopkeeper.formats"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env.str("TIME_ZONE", default="UTC")

# --- Static ---------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": VAR_DIR / "media"},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


# --- Email ---------------------------------------------------------------------------------
def _mailer(url: str) -> dict:
    """EMAIL_URL: smtp://user:pass@host:25, smtp+tls://... (STARTTLS), smtps://... (TLS),
    console://, or empty for files under var/mail (a local box sends nothing by surprise)."""
    from urllib.parse import unquote, urlsplit

    if not url:
        return {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(VAR_DIR / "mail")},
        }
    parts = urlsplit(url)
    if parts.scheme == "console":
        return {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if parts.scheme not in {"smtp", "smtp+tls", "smtps"}:
        raise ValueError(f"EMAIL_URL scheme {parts.scheme!r} is not one of smtp, smtp+tls, smtps, console")
    options = {
        "host": parts.hostname or "localhost",
        "port": parts.port or (465 if parts.scheme == "smtps" else 25),
        "use_tls": parts.scheme == "smtp+tls",
        "use_ssl": parts.scheme == "smtps",
        "timeout": 15,
    }
    if parts.username:
        options["username"] = unquote(parts.username)
        options["password"] = unquote(parts.password or "")
    return {"BACKEND": "django.core.mail.backends.smtp.EmailBackend", "OPTIONS": options}


MAILERS = {"default": _mailer(env.str("EMAIL_URL", default=""))}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Shopkeeper <shopkeeper@localhost>")

# --- Security -------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:", "https:"],
    "font-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
if env.bool("SECURE_SSL", default=False):
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Product settings -----------------------------------------------------------------------
# Webhooks: loopback/private targets are refused unless allowed (a local receiver in development).
SHOPKEEPER_WEBHOOKS_ALLOW_PRIVATE = env.bool("SHOPKEEPER_WEBHOOKS_ALLOW_PRIVATE", default=False)
SHOPKEEPER_WEBHOOK_TIMEOUT = env.float("SHOPKEEPER_WEBHOOK_TIMEOUT", default=10.0)
SHOPKEEPER_WEBHOOK_CONCURRENCY = env.int("SHOPKEEPER_WEBHOOK_CONCURRENCY", default=16)
# Catalog feeds at private addresses are refused unless allowed.
SHOPKEEPER_IMPORT_ALLOW_PRIVATE_URLS = env.bool("SHOPKEEPER_IMPORT_ALLOW_PRIVATE_URLS", default=False)
# Intake entries still "received" after this many seconds are processed again by the worker.
SHOPKEEPER_INTAKE_RECOVER_AFTER = env.int("SHOPKEEPER_INTAKE_RECOVER_AFTER", default=30)
# Default region for phone numbers written without a country code (ISO 3166 code).
SHOPKEEPER_PHONE_REGION = env.str("SHOPKEEPER_PHONE_REGION", default="US")
SHOPKEEPER_DEMO_ADMIN = env.str("SHOPKEEPER_DEMO_ADMIN", default="admin")
SHOPKEEPER_DEMO_PASSWORD = env.str("SHOPKEEPER_DEMO_PASSWORD", default="shopkeeper-demo")
# Outbox dispatch: attempts before an event delivery is dead-lettered, and the backoff cap.
SHOPKEEPER_EVENT_MAX_ATTEMPTS = env.int("SHOPKEEPER_EVENT_MAX_ATTEMPTS", default=12)
SHOPKEEPER_EVENT_BACKOFF_CAP = env.int("SHOPKEEPER_EVENT_BACKOFF_CAP_SECONDS", default=3600)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # httpx logs every request at INFO: one line per webhook attempt (each is in the attempt log already)
    "loggers": {"django.db.backends": {"level": "WARNING"}, "httpx": {"level": "WARNING"}},
}
