"""Domain errors raised by services, and how /api turns any error into JSON.

Services raise DomainError subclasses; the API answers
{"error": {"code", "message", "details"}}; pages show the message as a form error or flash.
"""
from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, details: dict[str, Any] | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}
        if code:
            self.code = code


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class ValidationFailed(DomainError):
    status = 422
    code = "validation_failed"


def error_body(code: str, message: str, details: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def _is_api() -> bool:
    return request.path.startswith("/api/")


_HTTP_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 413: "payload_too_large", 415: "unsupported_media_type",
    422: "validation_failed", 429: "rate_limited", 500: "internal_error", 503: "unavailable",
}


def _http_message(status: int) -> str:
    messages = {
        400: _("The request could not be understood."),
        401: _("Authentication required: send a valid bearer token."),
        403: _("You are not allowed to do this."),
        404: _("Not found."),
        405: _("Method not allowed."),
        409: _("Conflict with the current state."),
        413: _("The request is too large."),
        415: _("Send JSON with Content-Type: application/json."),
        422: _("The request has invalid fields."),
        429: _("Too many requests: slow down and try again shortly."),
        500: _("Internal error. It has been logged."),
        503: _("Service unavailable."),
    }
    return messages.get(status, _("Request failed."))


def _page_words(status: int) -> tuple[str, str]:
    """A page's title and message for an HTTP error, in the reader's language (Werkzeug's own
    bodies are English and speak to developers)."""
    words = {
        400: (_("The request could not be understood."), _("Go back, reload the page and try again.")),
        403: (_("You are not allowed to do this."), _("Ask an admin if you need access to this page.")),
        404: (_("Page not found"), _("The address may be mistyped, or what it showed no longer exists.")),
        405: (_("This page cannot be opened that way"),
              _("The address is for sending a form from its page. Open the page and use its button.")),
        413: (_("The request is too large."), _("Send less at once, for example a shorter text.")),
        429: (_("Too many requests"), _("Slow down and try again in a minute.")),
    }
    return words.get(status, (_http_message(status), _("Try again, or go back to the start.")))


def register(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def handle_domain(err: DomainError):
        if _is_api():
            return jsonify(error_body(err.code, err.message, err.details)), err.status
        return render_template("error.html", title=_http_message(err.status), message=err.message), err.status

    @app.errorhandler(HTTPException)
    def handle_http(err: HTTPException):
        if not _is_api():
            if not err.code or err.code < 400:  # a redirect Werkzeug raises is not an error
                return err
            title, message = _page_words(err.code)
            response = app.make_response((render_template("error.html", title=title, message=message), err.code))
            if err.code == 405 and getattr(err, "valid_methods", None):
                response.headers["Allow"] = ", ".join(sorted(err.valid_methods))
            return response
        status = err.code or 500
        details: dict = {}
        # webargs / flask-smorest put field errors on err.data["messages"].
        data = getattr(err, "data", None) or {}
        if "messages" in data:
            messages = data["messages"]
            # Flatten the location level ("json", "query") that webargs adds.
            if isinstance(messages, dict) and len(messages) == 1 and next(iter(messages)) in ("json", "query", "headers", "form", "view_args"):
                messages = next(iter(messages.values()))
            details = {"fields": messages}
        code = _HTTP_CODES.get(status, "error")
        message = _http_message(status)
        if status == 400 and getattr(err, "description", None) and "JSON" in str(err.description):
            code, message = "invalid_json", _("The body is not valid JSON.")
        response = jsonify(error_body(code, message, details))
        response.status_code = status
        if status == 429:
            retry = getattr(err, "retry_after", None)
            if retry:
                response.headers["Retry-After"] = str(retry)
        if status == 405 and getattr(err, "valid_methods", None):
            response.headers["Allow"] = ", ".join(sorted(err.valid_methods))
        return response

    @app.errorhandler(CSRFError)
    def handle_csrf(err: CSRFError):
        message = _("This form has expired or was sent from another site. Reload the page and try again.")
        if _is_api():
            return jsonify(error_body("csrf_failed", message)), 400
        return render_template("error.html", title=_http_message(400), message=message), 400

    @app.errorhandler(sa_exc.OperationalError)
    @app.errorhandler(sa_exc.InterfaceError)
    @app.errorhandler(sa_exc.TimeoutError)
    def handle_database_away(err: Exception):
        """The database is down, restarting or busy: say so (503 and when to retry), not 500.
        Nothing was committed; the pool's pre-ping reconnects once it is back."""
        app.logger.warning("database unavailable on %s %s: %s", request.method, request.path, type(err).__name__)
        message = _("The database is unavailable; nothing was saved. Try again in a moment.")
        if _is_api():
            response = jsonify(error_body("database_unavailable", message))
        else:
            response = app.make_response((render_template("error.html", title=_http_message(503), message=message)))
        response.status_code = 503
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(Exception)
    def handle_unexpected(err: Exception):
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        if _is_api():
            return jsonify(error_body("internal_error", _http_message(500))), 500
        return render_template("error.html", title=_http_message(500), message=""), 500
