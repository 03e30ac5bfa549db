"""GrowthOps settings, read from the environment (django-environ).

DEBUG is off unless ``DJANGO_DEBUG=1`` says otherwise (``make run`` and the tests do), so a
deployment that forgets it serves no debug pages; it must then provide ``DJANGO_SECRET_KEY`` and
``DJANGO_ALLOWED_HOSTS`` and collect its static files. Other defaults give the zero-setup run:
SQLite, tasks executed in-process. ``DATABASE_URL`` and ``REDIS_URL`` switch to real services.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)

if DEBUG:
    SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-only-insecure-key-never-use-in-production")
    ALLOWED_HOSTS = env.list(
        "DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"]
    )
else:
    # No defaults on purpose: a production process must be told its secret and its hosts.
    SECRET_KEY = env("DJANGO_SECRET_KEY")
    ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
    "growthops",
    "roles",
    "experiments",
    "analytics",
    # Warehouse-native metrics: between the programme and analytics (docs/warehouse.md).
    "warehouse",
    "programme",
    "webhooks",
    # Above every app: the demo organisation and its seeding command.
    "demo",
]

MIDDLEWARE = [
    "growthops.middleware.ReleaseApiResponseMiddleware",
    # Under /api/, an error answer no view wrote as a problem (an unknown path …) becomes one.
    "growthops.problems.ProblemMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "growthops.middleware.DatabaseBusyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, so it turns any lock-out flagged while signing in into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "growthops.urls"
WSGI_APPLICATION = "growthops.wsgi.application"

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
                "roles.context_processors.capabilities",
                "analytics.context_processors.notifications",
                "programme.context_processors.review_queue",
                "programme.context_processors.notices",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Wait for a concurrent writer instead of failing at once (runserver threads, tests).
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    # Take the write lock when a transaction begins: two deferred transactions that read and
    # then write deadlock, and SQLite fails one at once ("database is locked") whatever the
    # timeout. What still times out answers 503 (growthops.middleware).
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
elif "postgresql" in DATABASES["default"]["ENGINE"]:
    # Room for the events roll-up's temp tables in memory. A session allocates these buffers
    # only when it uses temp tables (the roll-up alone does), and the size can only be set
    # before its first use, hence per connection.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        f"-c temp_buffers={env('DB_TEMP_BUFFERS', default='256MB')}"
    )
    # The API's fixed list queries (growthops.api_rows) are prepared on a connection's second
    # run of them; the ORM binds on the client and never prepares. Turn it off behind a pooler
    # in transaction mode that does not keep prepared statements (DB_PREPARED_STATEMENTS=0).
    DATABASES["default"]["OPTIONS"]["prepare_threshold"] = (
        1 if env.bool("DB_PREPARED_STATEMENTS", default=True) else None
    )

# Largest believable value per user in uploaded data: an observation's |sum|/users and
# √(sum_squares/users) (likewise its covariate), and an event's value. Beyond it the row is a
# unit or export error, and its squares would overflow the statistics.
OBSERVATION_MAX_ABS_VALUE = env.float("OBSERVATION_MAX_ABS_VALUE", default=1e12)
# The dimensions results may be sliced by (analytics/dimensions.py): an observation row may name
# one of these with its value (device = mobile), and results can be read per value.
RESULT_DIMENSIONS = env.list(
    "RESULT_DIMENSIONS",
    default=["device", "country", "channel", "user_type", "browser", "platform", "region"],
)
# The embedded DuckDB warehouse's memory ceiling per query (it spills to disk past it).
WAREHOUSE_DUCKDB_MEMORY_LIMIT = env("WAREHOUSE_DUCKDB_MEMORY_LIMIT", default="600MB")
# The demo's embedded warehouse (``seed_demo`` writes it; docs/warehouse.md).
WAREHOUSE_DEMO_PATH = env.path(
    "WAREHOUSE_DEMO_PATH", default=BASE_DIR / "var" / "demo-warehouse.duckdb"
)
# The ISO code every currency figure is reported in (objectives with the unit "currency").
REPORTING_CURRENCY = env("REPORTING_CURRENCY", default="EUR")
# Days a completed experiment may wait for the CMO's decision before the CMO is alerted.
DECISION_SLA_DAYS = env.int("DECISION_SLA_DAYS", default=14)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "roles.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out user before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "roles.backends.DemoAwareModelBackend",
]
# Repeated wrong passwords lock out that username from that address (login page, admin and
# POST /api/v1/auth/token/ all sign in through authenticate(request=...)).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "roles.lockout.lockout_response"
# The address a lock-out counts is the rate limit's (growthops/client_ip.py, NUM_PROXIES).
AXES_CLIENT_IP_CALLABLE = "growthops.client_ip.client_ip"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "programme:home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="growthops@localhost")

# --- security (all on when DEBUG is off, so ``check --deploy`` is clean) ---
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Every asset is served from here (no CDN). Images may also be data: URLs: Bootstrap's and
# Swagger UI's stylesheets draw their icons (a select's arrow, a check mark, a close button) as
# inline SVG images. An image cannot run script; the policy refuses inline scripts and styles.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# --- webhooks ---
# Off: a webhook URL must resolve to public addresses only (no loopback, private, link-local…).
WEBHOOKS_ALLOW_PRIVATE_HOSTS = env.bool("WEBHOOKS_ALLOW_PRIVATE_HOSTS", default=False)
# Where the app is served, for links in webhook payloads (empty: paths only).
SITE_URL = env("SITE_URL", default="")

# Digests (docs/communication.md): sent from this hour (local time) on the period's first day;
# a Slack incoming webhook for those who set none of their own (empty: e-mail only).
DIGEST_SEND_HOUR = env.int("DIGEST_SEND_HOUR", default=7)
DIGEST_SLACK_WEBHOOK_URL = env("DIGEST_SLACK_WEBHOOK_URL", default="")
DIGEST_STALE_DAYS = env.int("DIGEST_STALE_DAYS", default=3)  # running without data this long

# How many proxies of ours stand in front of the app, each appending to X-Forwarded-For. 0:
# clients connect directly and the header, which anyone can write, is ignored. The rate limit
# and the sign-in lock-out both read the client's address through growthops.client_ip.
NUM_PROXIES = env.int("DJANGO_NUM_PROXIES", default=0)

# --- REST API ---
REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header makes a request without credentials a 401.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "roles.authentication.DemoAwareTokenAuthentication",
        # Service tokens (scoped, expiring): ``Authorization: Bearer <secret>``.
        "roles.authentication.ServiceTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Deny by default: a view that names no ability answers 403 to everyone.
    "DEFAULT_PERMISSION_CLASSES": ["roles.permissions.HasAbility"],
    "DEFAULT_RENDERER_CLASSES": [
        "growthops.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    # JSON only, refusing deep nesting and text no database can store (a NUL, a lone
    # surrogate) with a 400 naming where it sits. A form or multipart body is a 415, as the
    # schema says; the uploads add their own (``text/csv``, ``application/x-ndjson``).
    "DEFAULT_PARSER_CLASSES": ["growthops.parsers.JSONParser"],
    # The test client sends what the API takes.
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_FILTER_BACKENDS": ["growthops.filters.FilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "growthops.pagination.Pagination",
    "PAGE_SIZE": 100,
    "DEFAULT_THROTTLE_CLASSES": [
        "growthops.throttling.UserThrottle",
        "growthops.throttling.AnonThrottle",
    ],
    # Our throttles ask growthops.client_ip; any other DRF code reading it sees the same count.
    "NUM_PROXIES": NUM_PROXIES,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "growthops.api.exception_handler",
}
# The API's request counts live here. Per process by default; set CACHE_URL (e.g.
# redis://host:6379/1) so that every web process counts together.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
# Requests per signed-in user and per anonymous address ("N/second|minute|hour|day"); over
# the rate the API answers 429 with Retry-After.
API_THROTTLE_RATES = {
    "user": env("API_THROTTLE_USER", default="10000/hour"),
    "anon": env("API_THROTTLE_ANON", default="100/hour"),
}
# Largest ``?format=csv`` export in rows; beyond it the list must be filtered or paged as JSON.
API_CSV_MAX_ROWS = env.int("API_CSV_MAX_ROWS", default=50_000)
SPECTACULAR_SETTINGS = {
    "TITLE": "GrowthOps API",
    "DESCRIPTION": "Experiments, results and roll-ups of a growth-experiment programme.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The docs page needs a role; the schema itself is public (growthops.api.SchemaView).
    "SERVE_PERMISSIONS": ["roles.permissions.HasAbility"],
    # Requests and answers as separate components: a read-only field (``id``, ``secret``,
    # ``updated_at``) is never required in a request body.
    "COMPONENT_SPLIT_REQUEST": True,
    # Request bodies as the API takes them: JSON, and the CSV and NDJSON uploads (a form or
    # multipart body is a 415).
    "PARSER_WHITELIST": [
        "rest_framework.parsers.JSONParser",
        "analytics.api.parsers.CSVTextParser",
        "analytics.api.parsers.EventsJSONParser",
    ],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The online validator badge would load from outside (and the CSP refuses it).
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    # Every operation also documents the one error shape it can answer with (growthops.schema).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "growthops.schema.document_errors",
        "growthops.schema.describe_csv_answers",
    ],
    "ENUM_NAME_OVERRIDES": {
        "DecisionEnum": "experiments.models.Decision",
        "KillReasonEnum": "experiments.models.KillReason",
        "OutcomeEnum": "experiments.models.Outcome",
        "ExperimentStatusEnum": "experiments.models.ExperimentStatus",
        "ObjectiveStatusEnum": "experiments.models.Objective.Status",
        "SegmentStatusEnum": "experiments.models.Segment.Status",
        "HypothesisStatusEnum": "experiments.models.Hypothesis.Status",
        "TriageStatusEnum": ["backlog", "rejected"],
        "TemplateKindEnum": "experiments.models.ExperimentTemplate.Kind",
        "PostmortemStatusEnum": "programme.models.Postmortem.Status",
        "NoticeKindEnum": "programme.models.Notice.Kind",
        "HoldoutKindEnum": "programme.models.Holdout.Kind",
        "DataSourceKindEnum": "warehouse.models.DataSource.Kind",
        # Each choice set named once where two fields share a name or a set.
        "StageEnum": "experiments.stages.Stage.choices",
        "CycleStageEnum": "programme.insights.bottlenecks.STAGES",
        "PostmortemDecisionEnum": "programme.models.postmortems.POSTMORTEM_DECISIONS",
        "FaultsEnum": "programme.models.ProcessFault",
        "ActionEnum": "analytics.stats.verdict.ACTIONS",
        "VerdictEnum": ["held", "faded", "no_data"],
        "CorrectionEnum": "experiments.models.Correction",
        "SliceCorrectionEnum": "analytics.slices.SLICE_CORRECTIONS",
    },
}

# --- Celery ---
REDIS_URL = env("REDIS_URL", default="")
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=300)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=360)
CELERY_TASK_TRACK_STARTED = True
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", default="growthops")
CELERY_RESULT_EXTENDED = True
# Tasks read this when they are bound, so it is set for every mode: when tasks run in-process
# (the default run, and tests), /api/v1/tasks/{id}/ still finds their state.
CELERY_TASK_STORE_EAGER_RESULT = True
TASK_LOG_LEVEL = "INFO"  # a line per finished task
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    # A SIGKILLed worker's task is redelivered once it is older than the visibility timeout,
    # so it must exceed the hard time limit of the longest task (or tasks run twice).
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int(
            "CELERY_VISIBILITY_TIMEOUT", default=CELERY_TASK_TIME_LIMIT + 60
        ),
        "unacked_restore_interval": env.int("CELERY_UNACKED_RESTORE_INTERVAL", default=10),
        "unacked_restore_throttle": env.int("CELERY_UNACKED_RESTORE_THROTTLE", default=10),
    }
    CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
else:
    # Zero-setup default: no broker, tasks run in-process when queued.
    CELERY_BROKER_URL = "memory://localhost/"
    CELERY_RESULT_BACKEND = "cache+memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True
    # In-process, a line per finished task only buries the server's own log.
    TASK_LOG_LEVEL = "WARNING"

# How long a queued recompute of the programme's numbers waits for the events that follow
# (programme/freshness.py): a burst of decisions within it costs one recompute.
PROGRAMME_REFRESH_SECONDS = env.float("PROGRAMME_REFRESH_SECONDS", default=1.0)

CELERY_BEAT_SCHEDULE = {
    "analyse-running-and-stale-experiments": {
        "task": "analytics.tasks.experiments_analyse_sweep",
        "schedule": env.int("ANALYSE_SWEEP_SECONDS", default=300),
    },
    "refresh-running-experiments-from-warehouses": {
        "task": "warehouse.tasks.warehouse_refresh_running",
        "schedule": env.int("WAREHOUSE_REFRESH_SECONDS", default=3600),
    },
    "roll-up-events": {
        "task": "analytics.tasks.events_rollup",
        "schedule": env.int("EVENTS_ROLLUP_SECONDS", default=60),
    },
    "portfolio-rollup-nightly": {
        "task": "analytics.tasks.portfolio_rollup",
        "schedule": crontab(hour=2, minute=0),
    },
    "insights-rollup-nightly": {
        "task": "analytics.tasks.insights_rollup",
        "schedule": crontab(hour=2, minute=30),
    },
    "ship-rechecks-daily": {
        "task": "analytics.tasks.ship_rechecks",
        "schedule": crontab(hour=1, minute=45),  # before the portfolio roll-up reads them
    },
    "postmortems-overdue": {
        "task": "programme.tasks.postmortems_overdue",
        "schedule": crontab(hour=7, minute=0),  # once a day; each notice is written once
    },
    "send-digests": {
        "task": "programme.tasks.send_digests",
        "schedule": crontab(minute=15),  # hourly: sends once the period's hour has come
    },
    "board-pack-monthly": {
        "task": "programme.tasks.monthly_board_report",
        "schedule": crontab(day_of_month=1, hour=6, minute=0),  # after the nightly roll-ups
    },
    "dispatch-webhooks": {
        "task": "webhooks.tasks.webhooks_dispatch",
        "schedule": env.int("WEBHOOKS_DISPATCH_SECONDS", default=30),
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "celery.app.trace": {"level": TASK_LOG_LEVEL},
        # The board pack's PDF tools narrate every step and every SVG property at INFO.
        **{
            name: {"level": "ERROR"}
            for name in ("weasyprint", "fontTools", "choreographer", "kaleido", "logistro")
        },
    },
}
