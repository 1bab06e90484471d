"""Settings, read from the environment with safe defaults (see docs/configuration.md)."""

import os
import tempfile
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DATA_DIR = Path(os.environ.get("OMNIPRESENCE_DATA_DIR", Path.cwd() / "omnipresence-data")).resolve()

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    # The embedded demo and tests need no configuration; a real deployment sets SECRET_KEY
    # (`omnipresence serve` refuses to start without it).
    SECRET_KEY = "insecure-omnipresence-default-key-set-SECRET_KEY-in-production"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "channels",
    "django_tasks_db",
    "omnipresence.core",
    "omnipresence.stores",
    "omnipresence.catalog",
    "omnipresence.clients",
    "omnipresence.inventory",
    "omnipresence.search",
    "omnipresence.orders",
    "omnipresence.payments",
    "omnipresence.fulfilment",
    "omnipresence.returns",
    "omnipresence.accounts",
    "omnipresence.privacy",
    "omnipresence.clienteling",
    "omnipresence.shares",
    "omnipresence.visits",
    "omnipresence.attribution",
    "omnipresence.inbox",
    "omnipresence.appointments",
    "omnipresence.live",
    "omnipresence.storefront",
    "omnipresence.console",
    "omnipresence.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "omnipresence.urls"
ASGI_APPLICATION = "omnipresence.asgi.application"

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
    }
]

SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": (
        "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;"
        "PRAGMA busy_timeout=5000;PRAGMA foreign_keys=ON;"
    ),
}

DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL)}
    if DATABASES["default"]["ENGINE"].endswith("postgresql"):
        # A connection pool per process, not persistent per-thread connections: under ASGI every
        # request runs in a thread of its own, so CONN_MAX_AGE kept one connection per request
        # until the server ran out of them (the flash-sale benchmark found it). Keep
        # DB_POOL_MAX_SIZE × web workers under PostgreSQL's max_connections.
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": int(os.environ.get("DB_POOL_MIN_SIZE", 1)),
            "max_size": int(os.environ.get("DB_POOL_MAX_SIZE", 40)),
            "timeout": float(os.environ.get("DB_POOL_TIMEOUT", 10)),
        }
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "omnipresence.sqlite3",
            "OPTIONS": SQLITE_OPTIONS,
            # Tests use a file (not :memory:) so concurrent-client tests see one shared database.
            "TEST": {
                "NAME": os.environ.get(
                    "OMNIPRESENCE_TEST_SQLITE", str(Path(tempfile.gettempdir()) / "omnipresence-test.sqlite3")
                )
            },
        }
    }
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"].setdefault("OPTIONS", SQLITE_OPTIONS)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
# Processes with the same prefix share realtime events. Redis pub/sub ignores the database number
# in REDIS_URL, so tests, benchmarks and several installs on one Redis each set their own.
CHANNEL_LAYER_PREFIX = os.environ.get("CHANNEL_LAYER_PREFIX", "omni.")
if not all(c.isascii() and (c.isalnum() or c in "._-") for c in CHANNEL_LAYER_PREFIX) or not (
    0 < len(CHANNEL_LAYER_PREFIX) <= 40
):
    raise ValueError("CHANNEL_LAYER_PREFIX: 1 to 40 letters, digits, '.', '_' or '-'.")
if REDIS_URL:
    # Redis pub/sub: one subscription per process and group, fanned out to its sockets locally. The
    # list-based core layer lost whole messages for a 1,000-member group in a burst (its 100-message
    # capacity per process) and delivered ~20x slower (docs/inbox.md, "Realtime"; bench/inbox_fanout.py).
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": CHANNEL_LAYER_PREFIX},
        }
    }
else:
    # One process: channels' in-memory layer with a group send that holds for 1,000+ members.
    CHANNEL_LAYERS = {"default": {"BACKEND": "omnipresence.core.layers.InMemoryChannelLayer"}}

# In-process tasks by default; a separate worker (`omnipresence db_worker`) when TASKS_BACKEND=database.
if os.environ.get("TASKS_BACKEND", "immediate") == "database":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
else:
    TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "/console/login/"
LOGIN_REDIRECT_URL = "/console/"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French")), ("af", _("Afrikaans"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise serves from here after collectstatic
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", DATA_DIR / "media"))
# The embedded install serves uploaded media itself; behind a proxy set SERVE_MEDIA=false.
SERVE_MEDIA = env_bool("SERVE_MEDIA", True)
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": os.environ.get(
            "STATICFILES_BACKEND", "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Largest CSV accepted by the import endpoints and commands.
IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", 20 * 1024 * 1024))
IMAGE_MAX_BYTES = int(os.environ.get("IMAGE_MAX_BYTES", 8 * 1024 * 1024))
IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", 200_000))

# Payments: the provider clients pay online with ("sandbox": the built-in test page; "stripe").
STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "https://api.stripe.com")
PAYMENTS_ONLINE_PROVIDER = os.environ.get("PAYMENTS_ONLINE_PROVIDER", "stripe" if STRIPE_SECRET_KEY else "sandbox")
# Pay links: how long one lasts by default and at most (hours); a reminder goes out after this share
# of its life if it is still unpaid. A web order left unpaid is cancelled after CHECKOUT_PAYMENT_MINUTES.
PAY_LINK_HOURS = int(os.environ.get("PAY_LINK_HOURS", 48))
PAY_LINK_MAX_HOURS = 24 * 14
PAY_LINK_REMINDER_AFTER = 0.5
CHECKOUT_PAYMENT_MINUTES = int(os.environ.get("CHECKOUT_PAYMENT_MINUTES", 30))
# Absolute address of the site, for links in emails (pay links, reminders).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# Inbox channels (docs/inbox.md, "Channels"): where the providers' APIs are (tests point them at a
# local fake) and how long one call to them may take. Twilio checks its webhook signatures against
# SITE_URL, so set SITE_URL to the public address Twilio calls.
WHATSAPP_GRAPH_BASE = os.environ.get("WHATSAPP_GRAPH_BASE", "https://graph.facebook.com").rstrip("/")
META_GRAPH_BASE = os.environ.get("META_GRAPH_BASE", WHATSAPP_GRAPH_BASE).rstrip("/")
GRAPH_API_VERSION = os.environ.get("GRAPH_API_VERSION", "v21.0")
TWILIO_API_BASE = os.environ.get("TWILIO_API_BASE", "https://api.twilio.com").rstrip("/")
INBOX_PROVIDER_TIMEOUT = float(os.environ.get("INBOX_PROVIDER_TIMEOUT", 10))
# After a send whose outcome is unknown (the request got there, no answer came back), how long the
# outbox waits for the provider's receipt naming the message before it sends again.
INBOX_RECEIPT_WAIT = float(os.environ.get("INBOX_RECEIPT_WAIT", 120))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Omnipresence <no-reply@omnipresence.local>")
# Outgoing email. The embedded install writes each message to a file in the data dir (read them
# there); EMAIL_HOST sends through that SMTP server instead.
if os.environ.get("EMAIL_HOST"):
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": os.environ["EMAIL_HOST"],
                "port": int(os.environ.get("EMAIL_PORT", 587)),
                "username": os.environ.get("EMAIL_HOST_USER", ""),
                "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
                "use_tls": env_bool("EMAIL_USE_TLS", True),
            },
        }
    }
else:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": os.environ.get("EMAIL_FILE_PATH", str(DATA_DIR / "mail"))},
        }
    }

# Default hold lifetimes per kind (minutes); associates may choose another expiry.
HOLD_TTL_MINUTES = {"cart": 20, "client": 48 * 60, "order": None, "live": 10}
# Days a ready click & collect order waits at the shop before its units go back on sale.
PICKUP_HOLD_DAYS = int(os.environ.get("PICKUP_HOLD_DAYS", 7))
# Clienteling: a follow-up task this many days after a paid purchase (docs/clienteling.md).
CLIENTELING_FOLLOW_UP_DAYS = int(os.environ.get("CLIENTELING_FOLLOW_UP_DAYS", 7))
# Lookbooks: how long a link lasts unless the associate says otherwise (docs/lookbooks.md).
SHARE_LINK_DAYS = int(os.environ.get("SHARE_LINK_DAYS", 30))
# Appointments (docs/appointments.md): the video provider of video appointments ("local": a room on
# this site, no network; "jitsi", "livekit", or "external" links pasted by the associate), and how
# long a slot is kept while a client fills in the booking form.
APPOINTMENTS_VIDEO_PROVIDER = os.environ.get("APPOINTMENTS_VIDEO_PROVIDER", "local")
APPOINTMENT_HOLD_MINUTES = int(os.environ.get("APPOINTMENT_HOLD_MINUTES", 5))
JITSI_BASE_URL = os.environ.get("JITSI_BASE_URL", "https://meet.jit.si").rstrip("/")
JITSI_APP_ID = os.environ.get("JITSI_APP_ID", "")
JITSI_APP_SECRET = os.environ.get("JITSI_APP_SECRET", "")
JITSI_DOMAIN = os.environ.get("JITSI_DOMAIN", "")  # the JWT's "sub"; empty: the host of JITSI_BASE_URL
LIVEKIT_URL = os.environ.get("LIVEKIT_URL", "")  # wss://… of the LiveKit server
LIVEKIT_API_KEY = os.environ.get("LIVEKIT_API_KEY", "")
LIVEKIT_API_SECRET = os.environ.get("LIVEKIT_API_SECRET", "")
LIVEKIT_MEET_URL = os.environ.get("LIVEKIT_MEET_URL", "https://meet.livekit.io/custom")
# Live shopping (docs/live.md): LiveKit rooms use the LIVEKIT_* settings above. How often each server
# process stores its viewer count per event, the most chat messages an event takes a second, and
# how long a call to the streaming provider may take.
LIVE_PRESENCE_SECONDS = float(os.environ.get("LIVE_PRESENCE_SECONDS", 5))
LIVE_CHAT_PER_SECOND = int(os.environ.get("LIVE_CHAT_PER_SECOND", 20))
LIVE_PROVIDER_TIMEOUT = float(os.environ.get("LIVE_PROVIDER_TIMEOUT", 10))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
