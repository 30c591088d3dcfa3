"""/desk/tokens: admins see every API token (never the token itself) and revoke them."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _

from ..actions import accounts
from ..db_types import utcnow
from ..errors import DomainError
from ..staff import refuse_if_forbidden, staff_blueprint
from . import services

bp = staff_blueprint("tokens", __name__, url_prefix="/desk/tokens", admins_only=True)


@bp.route("")
def index():
    return render_template("auth/tokens.html", tokens=services.tokens(), now=utcnow())


@bp.route("/<int(max=2147483647):token_id>/revoke", methods=["POST"])
def revoke(token_id: int):
    try:
        row = accounts.revoke_token(token_id)
        flash(_("Token %(label)s of %(email)s revoked.", label=row.label or row.id, email=row.user.email), "success")
    except DomainError as err:
        refuse_if_forbidden(err)
        flash(err.message, "error")
    return redirect(url_for("tokens.index"))
