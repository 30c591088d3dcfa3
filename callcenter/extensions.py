"""Extensions, created unbound; create_app binds them."""
from __future__ import annotations

from flask import current_app
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api
from flask_socketio import SocketIO
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from marshmallow import Schema, fields
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints keep migrations identical on PostgreSQL and SQLite.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class ErrorBody(Schema):
    code = fields.String(required=True, metadata={"description": "a stable code, e.g. validation_failed"})
    message = fields.String(required=True, metadata={"description": "in the caller's language"})
    details = fields.Dict(required=True, metadata={"description": "e.g. fields: {name: [problems]}"})


class Error(Schema):
    """What every error on /api looks like (errors.py sends it)."""

    error = fields.Nested(ErrorBody, required=True)


class DeskApi(Api):
    ERROR_SCHEMA = Error


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
api = DeskApi()
socketio = SocketIO()


def redis_client():
    """The app's Redis client (one connection pool per process)."""
    return current_app.extensions["callcenter.redis"]


def rq_connection():
    """The Redis client RQ uses: bytes in and out (RQ stores pickled jobs), one pool per process."""
    return current_app.extensions["callcenter.rq_redis"]
