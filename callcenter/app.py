"""Building the application: config, extensions, blueprints, error handlers, CLI."""
from __future__ import annotations

from pathlib import Path

import redis
from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from . import (
    cli,
    embedded_redis,
    errors,
    i18n,
    input_guard,
    jobs,
    log_redaction,
    metrics,
    models,  # noqa: F401  (the whole schema, for Flask-Migrate)
    request_ids,
    security_headers,
    words,
)
from . import config as config_module
from .agents.api import blp as agents_api
from .agents.api import teams_blp as teams_api
from .agents.board_views import bp as agents_board_bp
from .auth import api_auth
from .auth.token_views import bp as tokens_bp
from .auth.views import bp as auth_bp
from .calls.api import blp as calls_api
from .console.socket import register_namespace
from .customers.api import blp as customers_api
from .db_mode import begins_writer
from .desk.views import bp as desk_bp
from .directory.api import blp as directory_api
from .directory.views import bp as admin_bp
from .directory.views import public_bp as directory_bp
from .extensions import api, babel, csrf, db, limiter, login_manager, migrate, socketio
from .followups.api import blp as followups_api
from .followups.desk_views import bp as followup_desk_bp
from .followups.views import bp as surveys_bp
from .health import bp as health_bp
from .i18n import select_locale, select_timezone
from .input_guard import GuardedJSONProvider
from .kpi.api import blp as kpi_api
from .kpi.colour_views import bp as wallboard_colours_bp
from .kpi.report_views import bp as reports_bp
from .kpi.views import bp as kpi_bp
from .notifications.views import bp as notifications_bp
from .portal.views import bp as portal_bp
from .privacy.api import blp as privacy_api
from .privacy.views import bp as privacy_bp
from .replies.views import bp as canned_bp
from .routing.api import blp as routing_api
from .routing.offers_api import blp as offers_api
from .routing.views import bp as routing_bp
from .sla.api import blp as sla_api
from .sla.views import bp as sla_bp
from .tickets.api import blp as tickets_api

ROOT = Path(__file__).resolve().parent.parent


def create_app(config_name: str | None = None, overrides: dict | None = None) -> Flask:
    profile = config_module.load(config_name)
    app = Flask(__name__, template_folder=str(ROOT / "templates"), static_folder="static",
                instance_path=str(config_module.INSTANCE_DIR))
    app.json = GuardedJSONProvider(app)
    app.config.from_object(profile)
    app.config["SECRET_KEY"] = profile.secret_key()
    app.config.update(overrides or {})
    _resolve_redis(app)
    if app.config["PROXY_COUNT"]:
        # Behind N trusted proxies: the client's address (rate limits) and scheme come from them.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_COUNT"], x_proto=app.config["PROXY_COUNT"])
    _bind_extensions(app)
    request_ids.register(app)  # first: every later hook, log line and job knows the request
    _register_blueprints(app)
    metrics.init_app(app)  # GET /metrics, and every request's time
    log_redaction.install((app.logger.name,))
    errors.register(app)  # after api.init_app: these handlers replace flask-smorest's
    input_guard.register(app)  # before authentication: unstorable text never reaches a query
    api_auth.register(app)
    security_headers.register(app)
    i18n.register(app)
    words.register(app)
    cli.register(app)
    jobs.bind(app)
    return app


def _resolve_redis(app: Flask) -> None:
    if not app.config.get("REDIS_URL"):
        if not app.config["EMBEDDED_REDIS_ALLOWED"]:
            raise RuntimeError("REDIS_URL must be set in production")
        app.config["REDIS_URL"] = embedded_redis.ensure_url()
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"])
    app.extensions["callcenter.redis"] = redis.Redis.from_url(app.config["REDIS_URL"], decode_responses=True)
    app.extensions["callcenter.rq_redis"] = redis.Redis.from_url(app.config["REDIS_URL"])


def _bind_extensions(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite"):
        config_module.INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 30}}
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    limiter.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone,
                   default_translation_directories=str(Path(__file__).parent / "translations"))
    api.init_app(app, spec_kwargs={"info": {"description": "Complaints, service requests, agents and customers."}})
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    api.spec.options["security"] = [{"bearerAuth": []}]
    socketio.init_app(app, message_queue=app.config["REDIS_URL"], channel=app.config["SOCKETIO_CHANNEL"],
                      async_mode="threading", manage_session=False)


def _register_blueprints(app: Flask) -> None:
    for blp in (tickets_api, agents_api, teams_api, customers_api, routing_api, offers_api, sla_api,
                kpi_api, privacy_api, directory_api, followups_api, calls_api):
        api.register_blueprint(blp)
        csrf.exempt(blp)  # /api checks CSRF itself for session callers (auth/api_auth.py)
    for bp in (health_bp, auth_bp, portal_bp, desk_bp, routing_bp, sla_bp, kpi_bp, privacy_bp, tokens_bp,
               admin_bp, directory_bp, followup_desk_bp, agents_board_bp,
               notifications_bp, surveys_bp, canned_bp):
        app.register_blueprint(bp)
    app.register_blueprint(wallboard_colours_bp)  # /admin/wallboard
    app.register_blueprint(reports_bp)  # /reports and its exports (kpi/report_views.py)
    register_namespace(socketio)
    _document_errors()


def _document_errors() -> None:
    """Every operation may answer 401 (no or bad token) and 403 (not allowed), one on an id 404,
    all in the {"error": {...}} shape: the OpenAPI document says so for each."""
    for path, operations in api.spec._paths.items():
        if path.endswith("/openapi.json"):
            continue
        for method, operation in operations.items():
            if not isinstance(operation, dict) or method == "parameters":
                continue
            responses = operation.setdefault("responses", {})
            wanted = {"401": "UNAUTHORIZED", "403": "FORBIDDEN", "413": "REQUEST_ENTITY_TOO_LARGE",
                      "429": "TOO_MANY_REQUESTS", "503": "SERVICE_UNAVAILABLE"}
            if "{" in path:
                wanted["404"] = "NOT_FOUND"
            for status, name in wanted.items():
                responses.setdefault(status, {"$ref": f"#/components/responses/{name}"})
                api.spec.components.get_ref("response", name)  # registers the lazy component


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """WAL lets the web process and the worker read while one writes; enforce foreign keys.

    pysqlite's own transaction handling is switched off (isolation_level None) so that
    _sqlite_begin below decides when a transaction starts, and SAVEPOINTs work.
    """
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn) -> None:
    """SQLite ignores SELECT ... FOR UPDATE. BEGIN IMMEDIATE takes the write lock up front,
    so a read-then-write (an assignment, a transition) cannot act on a stale row: writers
    queue one behind the other, as FOR UPDATE makes them do on PostgreSQL. Reads (GET
    requests) begin deferred and never wait for a writer (db_mode.py)."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE" if begins_writer() else "BEGIN")
