"""Admin pages for the desk's set-up: users, teams, skills, categories and the set-up log; and
the public page where a new colleague sets their password from a one-time link."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..actions import directory as directory_actions
from ..db_types import utcnow
from ..errors import DomainError
from ..staff import page_actor, staff_blueprint
from ..tickets import triage
from . import catalogue, log, staff
from .api import link_url

bp = staff_blueprint("admin", __name__, url_prefix="/admin", admins_only=True)
public_bp = Blueprint("directory", __name__)

PRIORITIES = triage.PRIORITIES


def _setup_actions() -> dict[str, str]:
    return {"user.created": _("user added"), "user.changed": _("user changed"),
            "user.password_link": _("password link issued"), "user.deactivated": _("user deactivated"),
            "user.reactivated": _("user reactivated"), "team.created": _("team created"),
            "team.changed": _("team changed"), "skill.saved": _("skill saved"), "category.saved": _("category saved"),
            "rule.created": _("routing rule created"), "rule.changed": _("routing rule changed"),
            "rule.deleted": _("routing rule deleted"), "policy.created": _("SLA policy created"),
            "policy.changed": _("SLA policy changed"), "policy.deleted": _("SLA policy deleted"),
            "calendar.created": _("business calendar created"), "calendar.changed": _("business calendar changed"),
            "followup_policy.saved": _("follow-up policy changed"),
            "wallboard.colours_saved": _("wallboard colours changed"),
            "wallboard.colours_restored": _("wallboard colours restored")}


@bp.context_processor
def _words():
    actions = _setup_actions()  # skill names come from callcenter/words.py, as on every page
    return {"setup_action": lambda code: actions.get(code, code)}


def _skill_levels(form) -> dict[str, int]:
    """The skills grid: one select per catalogue skill, 0 meaning not held."""
    levels = {}
    for key, value in form.items():
        if key.startswith("skill:") and value not in ("", "0"):
            try:
                levels[key[len("skill:"):]] = int(value)
            except ValueError:
                continue
    return levels


def _failed(template: str, err: DomainError, **context):
    return render_template(template, error=err.message, fields=(err.details or {}).get("fields", {}),
                           form=request.form, **context), 400


# ---------------------------------------------------------------- users

@bp.route("/users")
def users():
    return render_template("directory/users.html", users=staff.staff())


def _user_data(form) -> dict:
    return {"email": form.get("email", ""), "name": form.get("name", ""), "role": form.get("role", ""),
            "teams": form.getlist("teams"), "skills": _skill_levels(form), "languages": form.getlist("languages"),
            "capacity": form.get("capacity") or 5}


def _user_context(user=None) -> dict:
    return {"user": user, "teams": catalogue.teams(), "skills": catalogue.skills(),
            "colleagues": [u for u in staff.staff() if u.active and u.role.value != "admin"
                           and (user is None or u.id != user.id)]}


@bp.route("/users/new", methods=["GET", "POST"])
def new_user():
    if request.method == "POST":
        try:
            user, token = directory_actions.create_user(_user_data(request.form), page_actor())
        except DomainError as err:
            return _failed("directory/user_form.html", err, **_user_context())
        return render_template("directory/password_link.html", user=user, link=link_url(token))
    return render_template("directory/user_form.html", form={}, fields={}, **_user_context())


@bp.route("/users/<int(max=2147483647):user_id>", methods=["GET", "POST"])
def edit_user(user_id: int):
    user = staff.get(user_id)
    if request.method == "POST":
        data = _user_data(request.form)
        data.pop("email")
        try:
            directory_actions.update_user(user_id, data, page_actor())
        except DomainError as err:
            return _failed("directory/user_form.html", err, **_user_context(user))
        flash(_("Saved."), "success")
        return redirect(url_for("admin.users"))
    return render_template("directory/user_form.html", form={}, fields={}, **_user_context(user))


@bp.route("/users/<int(max=2147483647):user_id>/password-link", methods=["POST"])
def password_link(user_id: int):
    try:
        user, token = directory_actions.reset_password(user_id, page_actor())
    except DomainError as err:
        flash(err.message, "error")
        return redirect(url_for("admin.edit_user", user_id=user_id))
    return render_template("directory/password_link.html", user=user, link=link_url(token))


@bp.route("/users/<int(max=2147483647):user_id>/deactivate", methods=["POST"])
def deactivate(user_id: int):
    hand_to = request.form.get("hand_to") or None
    try:
        moved = directory_actions.deactivate_user(user_id, page_actor(),
                                                  hand_to=int(hand_to) if hand_to and hand_to.isdigit() else None)
    except DomainError as err:
        flash(err.message, "error")
        return redirect(url_for("admin.edit_user", user_id=user_id))
    flash(_("Deactivated. %(tickets)s open tickets and %(offers)s offers were handed on.",
            tickets=len(moved["tickets"]), offers=len(moved["offers"])), "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int(max=2147483647):user_id>/reactivate", methods=["POST"])
def reactivate(user_id: int):
    directory_actions.reactivate_user(user_id, page_actor())
    flash(_("Reactivated. Send a new password link if they need one."), "success")
    return redirect(url_for("admin.edit_user", user_id=user_id))


# ---------------------------------------------------------------- teams, skills, categories

@bp.route("/teams", methods=["GET", "POST"])
@bp.route("/teams/<int(max=2147483647):team_id>", methods=["GET", "POST"])
def teams(team_id: int | None = None):
    editing = next((t for t in catalogue.teams() if t.id == team_id), None) if team_id else None
    if request.method == "POST":
        data = {"name": request.form.get("name"), "description": request.form.get("description", ""),
                "offer_mode": bool(request.form.get("offer_mode")),
                "offer_timeout_seconds": request.form.get("offer_timeout_seconds") or 30}
        try:
            directory_actions.save_team(data, page_actor(), team_id)
        except DomainError as err:
            return _failed("directory/teams.html", err, teams=catalogue.teams(), editing=editing)
        flash(_("Saved."), "success")
        return redirect(url_for("admin.teams"))
    return render_template("directory/teams.html", teams=catalogue.teams(), editing=editing, form={}, fields={})


@bp.route("/skills", methods=["GET", "POST"])
@bp.route("/skills/<string(maxlength=50):code>", methods=["GET", "POST"])
def skills(code: str | None = None):
    editing = next((s for s in catalogue.skills() if s.code == code), None) if code else None
    if request.method == "POST":
        data = {"code": request.form.get("code"), "name_zh": request.form.get("name_zh"),
                "name_en": request.form.get("name_en"), "active": bool(request.form.get("active"))}
        try:
            directory_actions.save_skill(data, page_actor(), code)
        except DomainError as err:
            return _failed("directory/skills.html", err, skills=catalogue.skills(), editing=editing)
        flash(_("Saved."), "success")
        return redirect(url_for("admin.skills"))
    return render_template("directory/skills.html", skills=catalogue.skills(), editing=editing, form={}, fields={})


@bp.route("/categories", methods=["GET", "POST"])
@bp.route("/categories/<string(maxlength=50):code>", methods=["GET", "POST"])
def categories(code: str | None = None):
    editing = next((c for c in catalogue.categories() if c.code == code), None) if code else None
    context = {"categories": catalogue.categories(), "teams": catalogue.teams(), "skills": catalogue.skills(),
               "editing": editing, "priorities": PRIORITIES}
    if request.method == "POST":
        data = {"code": request.form.get("code"), "name_zh": request.form.get("name_zh"),
                "name_en": request.form.get("name_en"), "team": request.form.get("team") or None,
                "required_skills": _skill_levels(request.form),
                "default_priority": request.form.get("default_priority") or None,
                "active": bool(request.form.get("active")), "position": request.form.get("position") or 0}
        try:
            directory_actions.save_category(data, page_actor(), code)
        except DomainError as err:
            return _failed("directory/categories.html", err, **context)
        flash(_("Saved."), "success")
        return redirect(url_for("admin.categories"))
    return render_template("directory/categories.html", form={}, fields={}, **context)


@bp.route("/setup-log")
def setup_log():
    return render_template("directory/setup_log.html", entries=log.recent())


# ---------------------------------------------------------------- a new colleague's password

@public_bp.route("/password/<string(maxlength=100):token>", methods=["GET", "POST"])
def set_password(token: str):
    link = staff.live_link(token, utcnow())
    if link is None:
        return render_template("directory/set_password.html", gone=True), 410
    if request.method == "POST":
        if request.form.get("password") != request.form.get("confirm"):
            return render_template("directory/set_password.html", user=link.user,
                                   error=_("The two passwords differ.")), 400
        try:
            directory_actions.set_password(token, request.form.get("password") or "")
        except DomainError as err:
            return render_template("directory/set_password.html", user=link.user, error=err.message), 400
        flash(_("Your password is set. Sign in with it now."), "success")
        return redirect(url_for("auth.login"))
    return render_template("directory/set_password.html", user=link.user)
