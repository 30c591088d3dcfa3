"""Keep customers' private links out of every log: the route is logged, never the token."""
from __future__ import annotations

import logging
import re

# /t/<token> (status pages), /s/<token> (survey links) and /password/<token> (staff's one-time
# password links), however the line quotes them.
_PRIVATE_PATH = re.compile(r"(/(?:[ts]|password)/)(?!lost\b)[A-Za-z0-9_\-.~%]{8,}")
REDACTED = r"\1<token>"
LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error", "callcenter", "flask.app")


def redact(text: str) -> str:
    return _PRIVATE_PATH.sub(REDACTED, text)


def _clean(value):
    return redact(value) if isinstance(value, str) else value


class RedactPrivateLinks(logging.Filter):
    """Rewrites the message and its arguments (werkzeug passes the request line as an argument,
    gunicorn a dict of atoms) before any handler formats them."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, dict):
            record.args = {k: _clean(v) for k, v in record.args.items()}
        elif isinstance(record.args, tuple):
            record.args = tuple(_clean(v) for v in record.args)
        return True


def install(extra: tuple[str, ...] = ()) -> None:
    for name in LOGGERS + extra:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactPrivateLinks) for f in logger.filters):
            logger.addFilter(RedactPrivateLinks())
