"""/desk/outbox: admins read what was sent to customers, or is waiting or failed to go."""
from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _

from ..staff import staff_blueprint
from .models import OutboundMessage
from .queries import outbox_page

bp = staff_blueprint("notifications", __name__, url_prefix="/desk/outbox", admins_only=True)
PER_PAGE = 50
LAST_PAGE = 1_000_000  # beyond any outbox; keeps the offset within what the database takes


def _status_label(code: str) -> str:
    return {"queued": _("queued"), "sending": _("sending"), "sent": _("sent"), "failed": _("failed")}.get(code, code)


def _channel_label(code: str) -> str:
    return {"email": _("Email"), "sms": _("SMS")}.get(code, code)


def stored_body(message: OutboundMessage) -> str:
    """The body as stored: its link is issued when it is sent, so only where it goes is shown."""
    if not message.link_marker:
        return message.body
    kind = _("[password link]") if message.link_marker.startswith("[[password-link:") else _("[status link]")
    return message.body.replace(message.link_marker, kind)


@bp.route("")
def index():
    page = min(max(request.args.get("page", 1, type=int), 1), LAST_PAGE)
    return render_template("notifications/outbox.html", result=outbox_page(page, PER_PAGE),
                           status_label=_status_label, channel_label=_channel_label, stored_body=stored_body)
