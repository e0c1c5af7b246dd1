"""Configuration classes, read from the environment (and an optional `.env`).

Development defaults are safe to run on a laptop: SQLite under `instance/`, Redis on loopback.
`ProductionConfig` refuses to start without its secrets.
"""

import os
from pathlib import Path

from dotenv import load_dotenv

BASE_DIR = Path(__file__).resolve().parent
load_dotenv(BASE_DIR / ".env")


def _env(name, default=None):
    return os.environ.get(name, default)


def _env_int(name, default):
    return int(os.environ.get(name, default))


class Config:
    INSTANCE_DIR = _env("LMS_INSTANCE_DIR", str(BASE_DIR / "instance"))

    SECRET_KEY = _env("SECRET_KEY")  # unset outside production: a random one kept in INSTANCE_DIR/secret_key
    JWT_SECRET_KEY = _env("JWT_SECRET_KEY")  # falls back to SECRET_KEY outside production
    JWT_ACCESS_TOKEN_MINUTES = _env_int("JWT_ACCESS_TOKEN_MINUTES", 15)

    LMS_BASE_DOMAIN = _env("LMS_BASE_DOMAIN", "localhost:5000")
    LMS_URL_SCHEME = _env("LMS_URL_SCHEME", "http")

    CONTROL_DATABASE_URL = _env("CONTROL_DATABASE_URL")  # default set in create_app (instance dir)
    TENANT_DATABASE_URL_TEMPLATE = _env("TENANT_DATABASE_URL_TEMPLATE")
    # Tenant engines kept open per process, least recently used closed first: on database servers (each holds
    # pooled server connections), and on SQLite files (each a file connection: three open files and ~250 kB, up
    # to its 2 MB page cache; a new one parses the whole schema, ~8 ms, so size it to the active organizations).
    TENANT_ENGINE_LRU_SIZE = _env_int("TENANT_ENGINE_LRU_SIZE", 100)
    TENANT_SQLITE_ENGINE_LRU_SIZE = _env_int("TENANT_SQLITE_ENGINE_LRU_SIZE", 1000)
    TENANT_DB_POOL_SIZE = _env_int("TENANT_DB_POOL_SIZE", 2)
    TENANT_DB_MAX_OVERFLOW = _env_int("TENANT_DB_MAX_OVERFLOW", 3)
    # SQLite files are read through a memory map of up to this many bytes (0: plain reads into each connection's
    # 2 MB page cache): the pages come from the system's file cache, shared by every connection, without a read
    # call and a copy each: a course's analytics over a large organization took about a third less CPU, a teacher's
    # overview a tenth to a fifth. The job workers read without one (`app.jobs.ready_for_jobs`).
    TENANT_SQLITE_MMAP_BYTES = _env_int("TENANT_SQLITE_MMAP_BYTES", 1 << 30)
    # An active organization found by its host is kept this long per process: another process's suspension
    # or renaming is seen within it (this process's own at once). 0: read the registry on every request.
    TENANT_CACHE_SECONDS = float(_env("TENANT_CACHE_SECONDS", 5))
    # ... and this long while the process hears other processes' changes through Redis (app/tenancy/invalidation.py)
    TENANT_CACHE_LISTENING_SECONDS = float(_env("TENANT_CACHE_LISTENING_SECONDS", 600))
    # People's principals (person, role, open sign-in) are kept at most this long per process, and only while it
    # hears the others' changes; any write to what they are read from drops them at once (app/security/
    # principal_cache.py). 0: read on every request.
    PRINCIPAL_CACHE_SECONDS = float(_env("PRINCIPAL_CACHE_SECONDS", 30))
    BACKUP_DIR = _env("LMS_BACKUP_DIR")
    # Several database servers for tenant databases (app/tenancy/servers.py, docs/operations.md): "name=URL,name=URL"
    # with URLs without a database; unset: TENANT_DATABASE_URL_TEMPLATE is the one server "default".
    TENANT_DATABASE_SERVERS = _env("TENANT_DATABASE_SERVERS")
    # Scheduled backups (`flask tenants backup-sweep`): one per organization every this many hours, and kept: the
    # newest of each of the last KEEP_DAILY days that have one, and of each of the last KEEP_WEEKLY weeks.
    BACKUP_EVERY_HOURS = float(_env("LMS_BACKUP_EVERY_HOURS", 24))
    BACKUP_KEEP_DAILY = _env_int("LMS_BACKUP_KEEP_DAILY", 7)
    BACKUP_KEEP_WEEKLY = _env_int("LMS_BACKUP_KEEP_WEEKLY", 4)
    # A restore over an organization or a move waits this long after putting it in maintenance, so that every
    # process's cached "active" entry of it (TENANT_CACHE_SECONDS, the jobs' 5 s) has run out before copying.
    TENANT_MAINTENANCE_GRACE_SECONDS = float(_env("LMS_TENANT_MAINTENANCE_GRACE_SECONDS", 6))

    REDIS_URL = _env("REDIS_URL", "redis://127.0.0.1:6379/0")
    RQ_QUEUE = _env("RQ_QUEUE", "tessera")
    # Event deliveries (app/events/relay.py): a failing subscriber is retried after each of these waits
    # (seconds), then listed as failed; a pending delivery this long past its due time is queued again.
    EVENT_RETRY_INTERVALS = (5, 30, 120, 600)
    EVENT_STALE_SECONDS = _env_int("EVENT_STALE_SECONDS", 60)

    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False

    # flask-smorest / OpenAPI
    API_TITLE = "Tessera LMS API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_SWAGGER_UI_PATH = "/docs"
    # Served from our own static folder: no CDN (see static/vendor/swagger-ui).
    OPENAPI_SWAGGER_UI_URL = "/static/vendor/swagger-ui/"

    MAIL_SERVER = _env("MAIL_SERVER", "127.0.0.1")
    MAIL_PORT = _env_int("MAIL_PORT", 8025)
    MAIL_USE_TLS = _env("MAIL_USE_TLS", "false").lower() == "true"
    MAIL_USE_SSL = _env("MAIL_USE_SSL", "false").lower() == "true"
    MAIL_USERNAME = _env("MAIL_USERNAME")
    MAIL_PASSWORD = _env("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = _env("MAIL_DEFAULT_SENDER", "Tessera <no-reply@tessera.example>")
    MAIL_TIMEOUT = _env_int("MAIL_TIMEOUT", 10)
    OUTBOX_DIR = _env("LMS_OUTBOX_DIR")  # the development mail sink writes here (instance/outbox)

    IMPORT_MAX_BYTES = _env_int("IMPORT_MAX_BYTES", 50 * 1024 * 1024)
    IMPORT_BATCH_SIZE = _env_int("IMPORT_BATCH_SIZE", 2000)
    IMPORT_LOCK_SECONDS = _env_int("IMPORT_LOCK_SECONDS", 600)  # a dead run's import resumes after this
    # The largest upload (media, then imports) plus the form around it.
    MAX_CONTENT_LENGTH = max(_env_int("IMPORT_MAX_BYTES", 50 << 20), _env_int("MEDIA_MAX_BYTES", 200 << 20)) + (1 << 20)

    MEDIA_MAX_BYTES = _env_int("MEDIA_MAX_BYTES", 200 * 1024 * 1024)
    RICH_TEXT_MAX_BYTES = _env_int("RICH_TEXT_MAX_BYTES", 512 * 1024)  # of HTML after sanitising, per save
    MEDIA_ROOT = _env("LMS_MEDIA_ROOT")  # default: instance/media/files
    MEDIA_STORAGE = _env("LMS_MEDIA_STORAGE", "local")  # or "s3" (pip install boto3; the S3_* settings)
    S3_BUCKET = _env("LMS_S3_BUCKET")
    S3_ENDPOINT_URL = _env("LMS_S3_ENDPOINT_URL")  # unset: AWS; set for MinIO, Ceph, Garage, …
    S3_PUBLIC_ENDPOINT_URL = _env("LMS_S3_PUBLIC_ENDPOINT_URL")  # if browsers reach the store at another address
    S3_REGION = _env("LMS_S3_REGION")
    S3_ACCESS_KEY_ID = _env("LMS_S3_ACCESS_KEY_ID")  # unset: boto3's own chain (AWS_* variables, roles)
    S3_SECRET_ACCESS_KEY = _env("LMS_S3_SECRET_ACCESS_KEY")
    S3_PREFIX = _env("LMS_S3_PREFIX", "")
    S3_ADDRESSING_STYLE = _env("LMS_S3_ADDRESSING_STYLE")  # path / virtual; unset: path with an endpoint URL
    S3_URL_TTL = _env_int("LMS_S3_URL_TTL", 300)  # seconds a presigned download link stays valid

    PASSWORD_RESET_HOURS = 1
    # reset mails one account may receive per hour, whoever asks from wherever (the routes' limits are per caller)
    PASSWORD_RESET_MAILS_PER_HOUR = 5
    REFRESH_TOKEN_DAYS = _env_int("REFRESH_TOKEN_DAYS", 30)
    REPORT_KEEP_DAYS = _env_int("REPORT_KEEP_DAYS", 7)  # a report's file is deleted this many days after it is made
    PRIVACY_EXPORT_KEEP_DAYS = _env_int("PRIVACY_EXPORT_KEEP_DAYS", 7)  # a person's data export, likewise
    # The bell's live streams (blueprints/notifications/live.py): each holds a server thread while its page is open,
    # so a process serves at most this many (keep it below the server's threads); past it, pages poll every 60 s.
    NOTIFICATIONS_STREAMS_PER_PROCESS = _env_int("NOTIFICATIONS_STREAMS_PER_PROCESS", 16)
    NOTIFICATIONS_STREAM_SECONDS = _env_int("NOTIFICATIONS_STREAM_SECONDS", 300)  # then the browser reconnects
    # Sign-in protection per account (app/security/lockout.py; the numbers are explained in docs/decisions.md).
    LOGIN_FAILURE_WINDOW_SECONDS = _env_int("LOGIN_FAILURE_WINDOW_SECONDS", 15 * 60)  # counts fade after this quiet
    LOGIN_SLOWDOWN_AFTER = _env_int("LOGIN_SLOWDOWN_AFTER", 5)  # attempts on one account before it slows down
    LOGIN_SLOWDOWN_FIRST_SECONDS = float(_env("LOGIN_SLOWDOWN_FIRST_SECONDS", 1))  # then 1, 2, 4, 8 … s apart
    LOGIN_SLOWDOWN_MAX_SECONDS = float(_env("LOGIN_SLOWDOWN_MAX_SECONDS", 60))  # … never more than this
    LOGIN_FAILURES_PER_SOURCE = _env_int("LOGIN_FAILURES_PER_SOURCE", 10)  # then that address is refused
    LOGIN_KNOWN_SOURCE_DAYS = _env_int("LOGIN_KNOWN_SOURCE_DAYS", 30)  # an address that signed in is not slowed
    LOGIN_ALERT_SECONDS = _env_int("LOGIN_ALERT_SECONDS", 60 * 60)  # at most one warning e-mail per account per hour

    # Notification e-mails (docs/notifications.md, "E-mail, digests and reminders"; part "email").
    NOTIFICATIONS_DIGEST_HOUR = _env_int("NOTIFICATIONS_DIGEST_HOUR", 7)  # local hour of daily and weekly digests
    NOTIFICATIONS_DUE_SOON_DAYS = _env_int("NOTIFICATIONS_DUE_SOON_DAYS", 3)  # "due soon" this many days before
    NOTIFICATIONS_OVERDUE_DAYS = _env_int("NOTIFICATIONS_OVERDUE_DAYS", 14)  # older due dates are not reminded of
    NOTIFICATIONS_RETRY_SECONDS = float(
        _env("NOTIFICATIONS_RETRY_SECONDS", 60)
    )  # first delay after a 4xx: 1, 2, 4 … min
    NOTIFICATIONS_RETRY_MAX_SECONDS = float(_env("NOTIFICATIONS_RETRY_MAX_SECONDS", 3600))  # … never more than 1 h
    # An e-mail still not accepted this long after its notification was made is given up (failed), as a mail server
    # bounces what it could not deliver in days: a reminder that arrives a week late helps nobody.
    NOTIFICATIONS_GIVE_UP_HOURS = float(_env("NOTIFICATIONS_GIVE_UP_HOURS", 72))
    NOTIFICATIONS_JOB_TIMEOUT = _env_int("NOTIFICATIONS_JOB_TIMEOUT", 300)  # RQ's timeout of one batch's job
    # A claim older than this is a dead worker's: the sweep sends its rows again (same Message-ID). Longer than
    # the job's timeout, after which RQ has killed the job for sure.
    NOTIFICATIONS_SENDING_STALE_SECONDS = float(_env("NOTIFICATIONS_SENDING_STALE_SECONDS", 360))
    # A new row's job was queued after its commit: the sweep queues it again only when it waited this long.
    NOTIFICATIONS_REQUEUE_AFTER_SECONDS = float(_env("NOTIFICATIONS_REQUEUE_AFTER_SECONDS", 300))

    # Log lines on stdout (app/observability/logs.py): "json" (one object a line, for a log shipper) or "text".
    LOG_FORMAT = _env("LMS_LOG_FORMAT", "text")
    # Operations (blueprints/operations): `/metrics` wants this bearer token (unset: answers loopback only);
    # `/readyz` is not ready past this many jobs waiting in a queue; per-organization request counts get a label
    # for the first this many organizations a process serves, the rest count as "other".
    METRICS_TOKEN = _env("LMS_METRICS_TOKEN")
    READY_MAX_QUEUE = _env_int("LMS_READY_MAX_QUEUE", 10_000)
    METRICS_MAX_TENANTS = _env_int("LMS_METRICS_MAX_TENANTS", 200)

    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto/-Host are trusted (0: none).
    TRUSTED_PROXIES = _env_int("LMS_TRUSTED_PROXIES", 0)

    RATELIMIT_ENABLED = True
    RATELIMIT_AUTHENTICATED = _env("RATELIMIT_AUTHENTICATED", "1000 per minute")
    RATELIMIT_ANONYMOUS = _env("RATELIMIT_ANONYMOUS", "100 per minute")
    # Attempts (POSTs) to sign in, register, ask for or use a reset link: per organization and address.
    RATELIMIT_SENSITIVE = _env("RATELIMIT_SENSITIVE", "60 per minute")
    # Certificate verifications (page and API together), per address: a reception desk checks a few a minute.
    RATELIMIT_VERIFY = _env("RATELIMIT_VERIFY", "60 per minute")

    DEMO_PASSWORD = _env("LMS_DEMO_PASSWORD", "tessera-demo-2026")
    OPERATOR_EMAIL = _env("LMS_OPERATOR_EMAIL", "operator@tessera.example")

    REQUIRED_IN_PRODUCTION = ()

    PASSWORD_HASH_PROFILE = "production"  # app/security/passwords.py; only TestConfig picks "testing"
    # Encrypts the organizations' private signing keys at rest (blueprints/credentials/keys.py); unset: SECRET_KEY.
    # Either way the key is derived per organization (HKDF with its slug). Changing it makes stored keys unreadable.
    CREDENTIAL_KEY = _env("LMS_CREDENTIAL_KEY")
    SIGNING_KEY_PROFILE = "production"  # blueprints/credentials/keys.py; only TestConfig picks "testing"
    # Webhooks (docs/integrations.md): Standard Webhooks' retry schedule after the first attempt, in seconds (each
    # with up to 10 % jitter); a request's timeout; a subscription failing this long is disabled; the largest body.
    WEBHOOK_RETRY_SCHEDULE = (5, 300, 1800, 7200, 18000, 36000, 36000)
    WEBHOOK_TIMEOUT_SECONDS = 15
    WEBHOOK_DISABLE_AFTER_DAYS = 5
    WEBHOOK_MAX_BODY_BYTES = 20_000
    # Outbound requests (webhooks, a roster's source URL) to private, loopback and link-local addresses: refused
    # unless set (development and tests deliver to a receiver on loopback). Checked on the resolved address.
    OUTBOUND_ALLOW_PRIVATE_ADDRESSES = _env("LMS_OUTBOUND_ALLOW_PRIVATE_ADDRESSES", "") == "1"
    # Tests only: provisioning copies this migrated database instead of migrating (tests/conftest.py).
    TENANT_DATABASE_TEMPLATE = None


class DevelopmentConfig(Config):
    DEBUG = False  # the reloader would fork the worker twice; use FLASK_DEBUG=1 to opt in
    OUTBOUND_ALLOW_PRIVATE_ADDRESSES = True  # the demo's webhook receiver listens on loopback


class TestConfig(Config):
    TESTING = True
    # The suite sends thousands of requests from one IP; rate-limit tests build apps with low limits.
    RATELIMIT_AUTHENTICATED = "100000 per minute"
    RATELIMIT_ANONYMOUS = "100000 per minute"
    RATELIMIT_SENSITIVE = "100000 per minute"
    RATELIMIT_VERIFY = "100000 per minute"
    SECRET_KEY = "test-secret-key-that-is-long-enough-for-every-hmac-algorithm-0123456789"
    TENANT_ENGINE_LRU_SIZE = _env_int("TENANT_ENGINE_LRU_SIZE", 20)
    TENANT_SQLITE_ENGINE_LRU_SIZE = _env_int("TENANT_SQLITE_ENGINE_LRU_SIZE", 20)
    TENANT_CACHE_SECONDS = 0  # tests that write the registry directly see it at once, unless one sets it
    # nor are principals kept, whichever test made the app listen first: statement counts stay the same from one
    # request to the next (tests/security/test_principal_cache.py builds apps that keep them)
    PRINCIPAL_CACHE_SECONDS = 0
    TENANT_MAINTENANCE_GRACE_SECONDS = 0  # nothing caches a tenant in the tests' processes (above)
    EVENT_RETRY_INTERVALS = (0, 0)  # retried at once, so that one burst of the test worker sees them fail
    PASSWORD_HASH_PROFILE = "testing"  # cheap Argon2id: the suite hashes thousands of passwords
    SIGNING_KEY_PROFILE = "testing"  # RSA keys from a per-process pool: generating one costs 100-350 ms
    OUTBOUND_ALLOW_PRIVATE_ADDRESSES = True  # the tests' webhook receiver listens on loopback
    WEBHOOK_RETRY_SCHEDULE = (0.2, 0.4, 0.6, 0.8, 1.0, 1.2, 1.4)  # the specification's seven retries, compressed


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    LOG_FORMAT = _env("LMS_LOG_FORMAT", "json")
    LMS_URL_SCHEME = _env("LMS_URL_SCHEME", "https")
    REQUIRED_IN_PRODUCTION = (
        "SECRET_KEY",
        "JWT_SECRET_KEY",
        "CONTROL_DATABASE_URL",
        "TENANT_DATABASE_URL_TEMPLATE",
        "LMS_BASE_DOMAIN",
        "REDIS_URL",
    )


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestConfig,
    "production": ProductionConfig,
}


def config_from_env():
    """The config class named by LMS_ENV (development, testing, production)."""
    name = os.environ.get("LMS_ENV", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(f"LMS_ENV={name!r} is not one of {', '.join(CONFIGS)}") from None
