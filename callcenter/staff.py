"""What every staff page shares: sign-in required, and the signed-in user as an Actor."""
from __future__ import annotations

from flask import Blueprint, abort
from flask_login import current_user, login_required

from .actors import Actor


def staff_blueprint(name: str, import_name: str, url_prefix: str = "/desk", *, admins_only: bool = False) -> Blueprint:
    bp = Blueprint(name, import_name, url_prefix=url_prefix)

    @bp.before_request
    @login_required
    def _signed_in():
        if admins_only and current_user.role.value != "admin":
            abort(403)
        return None

    @bp.after_request
    def _not_cached(response):
        # Staff pages show customers' details (and, once, a new status link): no cache keeps them.
        response.headers["Cache-Control"] = "no-store"
        return response

    return bp


def page_actor() -> Actor:
    return Actor.of_user(current_user)


def refuse_if_forbidden(err) -> None:
    """A page that shows a service's error as a message still answers 403 when the error is a
    refusal: "not allowed" is never a form message on a page that looked like it worked."""
    if err.status == 403:
        raise err
