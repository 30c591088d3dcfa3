"""Who is calling /api: a bearer token, or a signed-in session with a CSRF token."""
from __future__ import annotations

from flask import Flask, g, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from ..actions.accounts import mark_token_used
from ..actors import Actor
from ..db_mode import writing
from ..errors import DomainError
from ..extensions import csrf
from .services import token_for, token_use_due

PUBLIC_API_PATHS = {"/api/v1/openapi.json"}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    if header:
        raise Unauthorized(_("Use the header Authorization: Bearer <token>."))
    return None


def authenticate_api_request() -> None:
    if not request.path.startswith("/api/") or request.path in PUBLIC_API_PATHS:
        return
    token = _bearer()
    if token is not None:
        row = token_for(token)
        if row is None:
            raise Unauthorized(_("The token is not valid (unknown, revoked or expired)."))
        user = row.user
        if token_use_due(row):
            with writing():  # a GET too: its read transaction ends, a writer begins
                mark_token_used(row.id)
    elif current_user.is_authenticated:
        user = current_user._get_current_object()
        if request.method not in SAFE_METHODS:
            try:
                csrf.protect()
            except CSRFError:
                raise DomainError(_("A signed-in browser must send the X-CSRFToken header."),
                                  code="csrf_failed") from None
    else:
        raise Unauthorized(_("Authentication required: send a valid bearer token."))
    g.user = user
    g.actor = Actor.of_user(user)


def current_actor() -> Actor:
    return g.actor


def register(app: Flask) -> None:
    app.before_request(authenticate_api_request)
