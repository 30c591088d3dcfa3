"""Staff sign-in and sign-out."""
from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..actions import accounts
from ..desk.views import console_home
from ..extensions import db, limiter, login_manager
from ..i18n import safe_next
from . import lockout, services
from .forms import LoginForm
from .models import User

bp = Blueprint("auth", __name__)
SESSION_VERSION = "_session_version"


@login_manager.user_loader
def load_user(user_id: str):
    user = db.session.get(User, int(user_id))
    # A session from before the user signed out (a copied cookie) carries an old version.
    if user is None or session.get(SESSION_VERSION) != user.session_version:
        return None
    return user


@login_manager.unauthorized_handler
def unauthorized():
    flash(_("Please sign in to continue."), "info")
    return redirect(url_for("auth.login", next=request.full_path))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(console_home())
    form = LoginForm()
    if form.validate_on_submit():
        wait = lockout.minutes_left(form.email.data)
        if wait:
            form.password.errors.append(_("Too many failed sign-ins for this account. Try again in %(minutes)s "
                                          "minutes, or ask an admin to reset the password.", minutes=wait))
            return render_template("auth/login.html", form=form), 429
        user = services.authenticate(form.email.data, form.password.data)
        if user is not None:
            lockout.succeeded(form.email.data)
            _start_session(user)
            # No next=: the person's own console view (an agent's work, a supervisor's teams).
            return redirect(safe_next(request.args.get("next"), console_home()))
        lockout.failed(form.email.data)
        form.password.errors.append(_("Wrong email or password."))
    # A failed sign-in answers 400 so scripts can tell; the page shows the message.
    return render_template("auth/login.html", form=form), 400 if request.method == "POST" else 200


def _start_session(user: User) -> None:
    """A new session at sign-in: nothing from before it (a planted cookie, its CSRF token) carries over."""
    keep = {k: session[k] for k in ("locale",) if k in session}
    session.clear()
    session.update(keep)
    session[SESSION_VERSION] = user.session_version
    login_user(user)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    accounts.end_sessions(current_user._get_current_object())
    logout_user()
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))
