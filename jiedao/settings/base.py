"""Settings shared by every environment, read from environment variables.

`JIEDAO_*` variables configure the platform; `DATABASE_URL` and `SECRET_KEY` follow the usual twelve-factor names.
"""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("JIEDAO_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEVELOPMENT_SECRET_KEY = "django-insecure-jiedao-development-only"  # refused by production settings
SECRET_KEY = os.environ.get("SECRET_KEY", DEVELOPMENT_SECRET_KEY)
DEBUG = os.environ.get("JIEDAO_DEBUG", "1") == "1"
ALLOWED_HOSTS = [
    h for h in os.environ.get("JIEDAO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h
]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "jiedao.core",
    "jiedao.orgs",
    "jiedao.accounts",
    "jiedao.audit",
    "jiedao.workcalendar",
    "jiedao.timelimits",
    "jiedao.dictionaries",
    "jiedao.parameters",
    "jiedao.spreadsheets",
    "jiedao.registry",
    "jiedao.workflow",
    "jiedao.sms",
    "jiedao.catalog",
    "jiedao.applications",
    "jiedao.appointments",
    "jiedao.queueing",
    "jiedao.public",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "jiedao.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "jiedao.core.middleware.RequestContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "jiedao.accounts.middleware.LoginPolicyMiddleware",
]

ROOT_URLCONF = "jiedao.urls"
WSGI_APPLICATION = "jiedao.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "jiedao" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "jiedao.core.context_processors.shell",
            ],
        },
    },
]


def _database_from_env() -> dict:
    url = os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'jiedao.sqlite3'}")
    config = dj_database_url.parse(url, conn_max_age=int(os.environ.get("JIEDAO_DB_CONN_MAX_AGE", "60")))
    # Both engines add their options to those DATABASE_URL carries (sslmode, connect_timeout…), never replace them.
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets the web server read while the worker writes; IMMEDIATE avoids "database is locked"
        # when a read transaction later upgrades to a write. Connections are kept like PostgreSQL's:
        # opening one (these PRAGMAs, Django's SQL functions) cost more than a whole simple request.
        config["OPTIONS"] = {
            **config.get("OPTIONS", {}),
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;",
            "transaction_mode": "IMMEDIATE",
        }
    elif config["ENGINE"] == "django.db.backends.postgresql" and os.environ.get(
        "JIEDAO_DB_PREPARED_STATEMENTS", "1"
    ).strip().lower() not in ("0", "false", "no", "off"):
        # A statement run five times on a connection is prepared on the server, so PostgreSQL can stop
        # re-planning it: planning a small join cost more than executing it. Needs server-side parameter
        # binding (with Django's default client-side binding psycopg never prepares). Off for a
        # transaction-mode pgbouncer.
        config["OPTIONS"] = {
            **config.get("OPTIONS", {}),
            "server_side_binding": True,
            "prepare_threshold": 5,
        }
    return config


DATABASES = {"default": _database_from_env()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["jiedao.accounts.backends.RoleBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "jiedao.accounts.password_policy.PolicyPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Idle timeout: the session expires after this many seconds without a request (sliding window).
SESSION_COOKIE_AGE = int(os.environ.get("JIEDAO_SESSION_IDLE_SECONDS", str(30 * 60)))
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the meta tag, not the cookie
CSRF_FAILURE_VIEW = "jiedao.core.views.csrf_failure"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "jiedao" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("JIEDAO_STATIC_ROOT", BASE_DIR / "staticfiles"))
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    BASE_DIR / "jiedao" / "static",
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", NODE_MODULES / "bootstrap-icons" / "font"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/echarts", NODE_MODULES / "echarts" / "dist"),
    ("vendor/bpmn-js", NODE_MODULES / "bpmn-js" / "dist"),
    ("vendor/form-js", NODE_MODULES / "@bpmn-io" / "form-js" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "jiedao.accounts.api.authentication.PolicyTokenAuthentication",
        "jiedao.accounts.api.authentication.PolicySessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "jiedao.core.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "jiedao.core.api.exceptions.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "jiedao.core.api.negotiation.SingleRendererNegotiation",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "街道 Jiedao API",
    "DESCRIPTION": "街道（乡镇）基层政务平台接口。所有对象按用户所属组织节点与角色数据范围过滤；范围之外的对象返回 404。",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # One name for a choice set used by more than one serializer (an item's methods, an application's method).
    "ENUM_NAME_OVERRIDES": {
        "DeliveryMethodEnum": "jiedao.catalog.choices.DeliveryMethod",
        # 批量审批's two outcomes and a task's four, both on fields named "outcome"
        "DecisionEnum": "jiedao.workflow.choices.DECISIONS",
        "OutcomeEnum": "jiedao.workflow.choices.Outcome",
    },
}

TASKS = {
    "default": {
        "BACKEND": os.environ.get("JIEDAO_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}
REDIS_URL = os.environ.get("JIEDAO_REDIS_URL", "redis://127.0.0.1:6379/0")
if TASKS["default"]["BACKEND"].startswith("django_tasks_rq"):
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    RQ_QUEUES = {"default": {"URL": REDIS_URL}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("JIEDAO_LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}

# Personal data at rest: SM4 for the value, HMAC-SM3 for the blind index. Keys are hex (32 chars = 16 bytes
# for SM4) and never stored in the database; see docs/operations.md for rotation.
JIEDAO_FIELD_KEYS = [k for k in os.environ.get("JIEDAO_FIELD_KEYS", "").split(",") if k] or [
    "0123456789abcdeffedcba9876543210"  # development key, refused by production settings
]
JIEDAO_BLIND_INDEX_KEY = os.environ.get("JIEDAO_BLIND_INDEX_KEY", "6a696564616f2d646576656c6f706d656e74")

JIEDAO_SITE_NAME = _("街道政务服务平台")
# The site's public address as residents reach it: links sent by SMS (the rating link /r/<token>) use it.
JIEDAO_PUBLIC_URL = os.environ.get("JIEDAO_PUBLIC_URL", "http://127.0.0.1:8000")


# One cache per server process by default (nothing to run); a shared Redis cache when JIEDAO_CACHE_URL is
# set, so that rate limits and public-page updates are seen by every process at once. Rendered public pages
# live in a cache of their own: a flood of distinct page addresses must never evict rate-limit counts.
def _cache(name: str, entries: int) -> dict:
    if os.environ.get("JIEDAO_CACHE_URL"):
        return {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["JIEDAO_CACHE_URL"],
            "KEY_PREFIX": f"jiedao-{name}",
        }
    return {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": f"jiedao-{name}",
        "OPTIONS": {"MAX_ENTRIES": entries},
    }


CACHES = {"default": _cache("default", 20000), "public_pages": _cache("public-pages", 2000)}
# How long a rendered public page (catalog, guides, announcements) may be served from the cache.
JIEDAO_PUBLIC_PAGE_SECONDS = int(os.environ.get("JIEDAO_PUBLIC_PAGE_SECONDS", "60"))
JIEDAO_SCHEDULER_LOCK_PATH = VAR_DIR / "scheduler.lock"

JIEDAO_SMS_BACKEND = os.environ.get("JIEDAO_SMS_BACKEND", "jiedao.sms.backends.OutboxFileBackend")
JIEDAO_SMS_HTTP_URL = os.environ.get("JIEDAO_SMS_HTTP_URL", "")
JIEDAO_SMS_HTTP_TOKEN = os.environ.get("JIEDAO_SMS_HTTP_TOKEN", "")
# A TrueType (glyf-outline) CJK font for generated PDFs; empty: the Noto Serif SC file `make setup` installs.
JIEDAO_PDF_FONT = os.environ.get("JIEDAO_PDF_FONT", "")
