"""Text no database can store, and JSON no parser should recurse into, stopped at the door.

PostgreSQL refuses a NUL byte in text and no UTF-8 encoder takes an unpaired surrogate
('\\ud800', which JSON's \\u escapes can carry): either one would reach the database and come
back as a 500. Every query argument, path argument and JSON string of every request is
checked here; page forms check their own fields (forms_base.Form) so that the message sits
under the field.
"""
from __future__ import annotations

import json
import re
from typing import Any

from flask import Flask, jsonify, render_template, request
from flask.json.provider import DefaultJSONProvider
from flask_babel import gettext as _

from .errors import error_body

MAX_JSON_DEPTH = 64
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def problem(value: str) -> str | None:
    """Why this text cannot be stored, or None."""
    found = _UNSTORABLE.search(value)
    if found is None:
        return None
    return "contains a NUL byte" if found.group() == "\x00" else "contains an unpaired surrogate"


def bad_strings(value: Any, path: str = "") -> dict[str, list[str]]:
    """{"field.path": [why]} for every unstorable string (keys included) in a JSON value."""
    found: dict[str, list[str]] = {}
    if isinstance(value, str):
        why = problem(value)
        if why:
            found[path or "body"] = [why]
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and problem(key):
                found[name] = [f"key {problem(key)}"]
            found.update(bad_strings(item, name))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.update(bad_strings(item, f"{path}[{index}]" if path else f"[{index}]"))
    return found


def nesting_depth(text: str | bytes) -> int:
    """How deep arrays and objects nest, read without recursion (strings skipped)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")  # not UTF-8: the parser says so next
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


class GuardedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, refusing documents nested deeper than MAX_JSON_DEPTH (a ValueError becomes
    Flask's 400) instead of recursing until Python gives up."""

    def loads(self, s, **kwargs):
        if nesting_depth(s) > MAX_JSON_DEPTH:
            raise ValueError(f"JSON nested more than {MAX_JSON_DEPTH} levels deep")
        try:
            return json.loads(s, **kwargs)
        except RecursionError:  # pragma: no cover (the depth check comes first)
            raise ValueError("JSON nested too deep") from None


def _refuse(fields: dict[str, list[str]]):
    message = _("Some text contains characters that cannot be stored (a NUL byte or an unpaired surrogate).")
    if request.path.startswith("/api/"):
        return jsonify(error_body("invalid_text", message, {"fields": fields})), 422
    return render_template("error.html", title=_("The request could not be understood."),
                           message=message), 400


def check_request():
    """before_request: query and path arguments everywhere, JSON bodies on /api."""
    found: dict[str, list[str]] = {}
    for key, value in request.args.items(multi=True):
        if problem(key) or problem(value):
            found[key] = [problem(value) or f"name {problem(key)}"]
    for key, value in (request.view_args or {}).items():
        if isinstance(value, str) and problem(value):
            found[key] = [problem(value)]
    if request.path.startswith("/api/") and request.is_json and request.content_length:
        if nesting_depth(request.get_data(cache=True)) > MAX_JSON_DEPTH:
            return jsonify(error_body("invalid_json", _("The body is nested more than %(n)s levels deep.",
                                                        n=MAX_JSON_DEPTH))), 400
        found.update(bad_strings(request.get_json(silent=True)))
    if found:
        return _refuse(found)
    return None


def register(app: Flask) -> None:
    app.before_request(check_request)
