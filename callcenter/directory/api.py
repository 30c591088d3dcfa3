"""/api/v1/users, /api/v1/skills, POST /api/v1/teams, POST/PUT /api/v1/categories, /api/v1/setup-log
(admins). Every reference must exist: an unknown team, skill or category is a 422 naming the field."""
from __future__ import annotations

from flask import url_for
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ..actions import directory as directory_actions
from ..agents.api import TeamOut
from ..auth.api_auth import current_actor
from ..schemas_common import PageArgs, page_of, page_schema
from ..tickets import triage
from ..tickets.schemas import SkillMap
from . import catalogue, log, staff

blp = Blueprint("directory_api", __name__, url_prefix="/api/v1", description="Setting up the desk (admins).")

ROLES = ["admin", "supervisor", "agent"]
PRIORITIES = list(triage.PRIORITIES)
Name = fields.String(required=True, validate=validate.Length(1, 80))


class UserIn(Schema):
    email = fields.Email(required=True)
    name = Name
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    teams = fields.List(fields.String(validate=validate.Length(1, 80)), load_default=list,
                        metadata={"description": "team names; each must exist"})
    skills = SkillMap
    languages = fields.List(fields.String(validate=validate.OneOf(["zh", "en"])), load_default=lambda: ["zh"])
    capacity = fields.Integer(load_default=5, validate=validate.Range(1, 50))


class UserPatch(Schema):
    name = fields.String(validate=validate.Length(1, 80))
    role = fields.String(validate=validate.OneOf(ROLES))
    teams = fields.List(fields.String(validate=validate.Length(1, 80)))
    skills = SkillMap
    languages = fields.List(fields.String(validate=validate.OneOf(["zh", "en"])), validate=validate.Length(min=1))
    capacity = fields.Integer(validate=validate.Range(1, 50))


class UserOut(Schema):
    id = fields.Integer()
    email = fields.String()
    name = fields.String()
    role = fields.Function(lambda u: u.role.value)
    active = fields.Boolean()
    teams = fields.Function(lambda u: [t.name for t in u.teams])
    skills = fields.Function(lambda u: u.skill_levels)
    languages = fields.List(fields.String())
    capacity = fields.Integer()


class UserWithLink(UserOut):
    password_link = fields.String(metadata={"description": "one-time link to set the password (3 days)"})


class DeactivateIn(Schema):
    hand_to = fields.Integer(allow_none=True, validate=validate.Range(1, 2_147_483_647),
                             metadata={"description": "a colleague's id; else the queue"})


class Handed(Schema):
    tickets = fields.List(fields.Integer())
    offers = fields.List(fields.Integer())


class TeamIn(Schema):
    name = Name
    description = fields.String(load_default="", validate=validate.Length(max=255))
    offer_mode = fields.Boolean(load_default=False)
    offer_timeout_seconds = fields.Integer(load_default=30, validate=validate.Range(5, 3600))


class SkillIn(Schema):
    code = fields.String(validate=validate.Regexp(r"^[A-Za-z0-9_-]{1,50}$"))
    name_zh = Name
    name_en = Name
    active = fields.Boolean(load_default=True)


class SkillOut(Schema):
    code = fields.String()
    name_zh = fields.String()
    name_en = fields.String()
    active = fields.Boolean()


class CategoryIn(Schema):
    code = fields.String(validate=validate.Regexp(r"^[A-Za-z0-9_-]{1,50}$"))
    name_zh = Name
    name_en = Name
    team = fields.String(allow_none=True, validate=validate.Length(max=80))
    required_skills = SkillMap
    default_priority = fields.String(allow_none=True, validate=validate.OneOf(PRIORITIES))
    active = fields.Boolean(load_default=True)
    position = fields.Integer(load_default=0, validate=validate.Range(0, 100_000))


class CategorySetupOut(Schema):
    code = fields.String()
    name_zh = fields.String()
    name_en = fields.String()
    team = fields.Function(lambda c: c.team.name if c.team else None)
    required_skills = fields.Dict(keys=fields.String(), values=fields.Integer())
    default_priority = fields.String(allow_none=True)
    active = fields.Boolean()
    position = fields.Integer()


class LogOut(Schema):
    id = fields.Integer()
    actor_name = fields.String()
    action = fields.String()
    subject = fields.String()
    details = fields.Dict()
    created_at = fields.DateTime(format="iso")


def _admin():
    actor = current_actor()
    catalogue.require_admin(actor)
    return actor


def link_url(token: str) -> str:
    return url_for("directory.set_password", token=token, _external=True)


@blp.route("/users")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(UserOut, "UserPage"))
def list_users(args):
    """Every staff account, deactivated ones included (admins)."""
    _admin()
    return page_of(staff.staff(), args["page"], args["per_page"])


@blp.route("/users", methods=["POST"])
@blp.arguments(UserIn)
@blp.response(201, UserWithLink)
def create_user(data):
    """Add a colleague; the answer carries the one-time link with which they set their password."""
    user, token = directory_actions.create_user(data, _admin())
    user.password_link = link_url(token)
    return user


@blp.route("/users/<int(max=2147483647):user_id>", methods=["PATCH"])
@blp.arguments(UserPatch)
@blp.response(200, UserOut)
def patch_user(data, user_id):
    """Change name, role, teams, skills, languages or capacity."""
    return directory_actions.update_user(user_id, data, _admin())


@blp.route("/users/<int(max=2147483647):user_id>/password-link", methods=["POST"])
@blp.response(201, UserWithLink)
def password_link(user_id):
    """A new one-time link to set the password (earlier unused links stop working)."""
    user, token = directory_actions.reset_password(user_id, _admin())
    user.password_link = link_url(token)
    return user


@blp.route("/users/<int(max=2147483647):user_id>/deactivate", methods=["POST"])
@blp.arguments(DeactivateIn)
@blp.response(200, Handed)
def deactivate_user(data, user_id):
    """The account stops working; its open tickets and offers go to `hand_to` or the queue, at once."""
    return directory_actions.deactivate_user(user_id, _admin(), hand_to=data.get("hand_to"))


@blp.route("/users/<int(max=2147483647):user_id>/reactivate", methods=["POST"])
@blp.response(200, UserOut)
def reactivate_user(user_id):
    return directory_actions.reactivate_user(user_id, _admin())


@blp.route("/teams", methods=["POST"])
@blp.arguments(TeamIn)
@blp.response(201, TeamOut)
def create_team(data):
    """Create a team (admins)."""
    return directory_actions.save_team(data, _admin())


@blp.route("/skills")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(SkillOut, "SkillPage"))
def list_skills(args):
    """The skills catalogue, with names in Chinese and English."""
    current_actor()
    return page_of(catalogue.skills(), args["page"], args["per_page"])


@blp.route("/skills", methods=["POST"])
@blp.arguments(SkillIn)
@blp.response(201, SkillOut)
def create_skill(data):
    return directory_actions.save_skill(data, _admin())


@blp.route("/skills/<string(maxlength=50):code>", methods=["PUT"])
@blp.arguments(SkillIn)
@blp.response(200, SkillOut)
def replace_skill(data, code):
    return directory_actions.save_skill(data, _admin(), code)


@blp.route("/categories", methods=["POST"])
@blp.arguments(CategoryIn)
@blp.response(201, CategorySetupOut)
def create_category(data):
    """Add a category: its team and required skills must exist."""
    return directory_actions.save_category(data, _admin())


@blp.route("/categories/<string(maxlength=50):code>", methods=["PUT"])
@blp.arguments(CategoryIn)
@blp.response(200, CategorySetupOut)
def replace_category(data, code):
    return directory_actions.save_category(data, _admin(), code)


@blp.route("/setup-log")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(LogOut, "SetupLogPage"))
def setup_log(args):
    """Who changed the desk's set-up, newest first."""
    _admin()
    return page_of(log.recent(), args["page"], args["per_page"])
