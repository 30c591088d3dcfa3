"""Which language and time zone a page speaks, and the switch in the header."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Flask,
    current_app,
    has_request_context,
    redirect,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_login import current_user

from .actions.accounts import set_locale
from .db_mode import writing

SUPPORTED = ("en", "zh_CN")


def _supported(code: str | None) -> str | None:
    if not code:
        return None
    code = code.replace("-", "_")
    for locale in SUPPORTED:
        if code.lower() == locale.lower() or code.lower().split("_")[0] == locale.lower().split("_")[0]:
            return locale
    return None


def select_locale() -> str:
    """The user's saved choice, then this browser's choice, then Accept-Language."""
    if not has_request_context():  # jobs and CLI: messages pick their locale with force_locale
        return "en"
    if current_user and current_user.is_authenticated and _supported(current_user.locale):
        return _supported(current_user.locale)
    if _supported(session.get("locale")):
        return _supported(session["locale"])
    return _best_match()


def _best_match() -> str:
    match = request.accept_languages.best_match(["en", "zh_CN", "zh"], default="en")
    return "zh_CN" if match.startswith("zh") else "en"


def select_timezone() -> str:
    return current_app.config["DISPLAY_TIMEZONE"]


def safe_next(target: str | None, default: str) -> str:
    """Only a path on this site. Refused: '//host', 'https://host', a backslash, and any control
    character or space (browsers drop a tab or newline, so '/\t/host' would become '//host';
    a newline in a Location header is a 500)."""
    if not target or not target.startswith("/") or any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7f for c in target):
        return default
    if target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


def language_code() -> str:
    """'zh' or 'en': the language a ticket written on this page is in."""
    return "zh" if str(get_locale()).startswith("zh") else "en"


def register(app: Flask) -> None:
    @app.route("/lang/<code>")
    def switch_language(code: str):
        locale = _supported(code) or "en"
        session["locale"] = locale
        if current_user.is_authenticated:
            user_id = current_user.id
            with writing():  # a GET that writes: the read transaction ends first
                set_locale(user_id, locale)
        return redirect(safe_next(request.args.get("next"), url_for("portal.home")))

    @app.context_processor
    def inject_locale():
        # Babel expands zh_CN to zh_Hans_CN; pages only need to know which of the two it is.
        return {"current_locale": "zh_CN" if language_code() == "zh" else "en", "supported_locales": SUPPORTED}
