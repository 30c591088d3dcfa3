"""/api/v1/agents"""
from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..actions import presence
from ..auth.api_auth import current_actor
from ..auth.models import Presence, Role, Team, User
from ..extensions import db
from ..routing.queries import offer_stats
from ..schemas_common import PageArgs, page_of, page_schema
from .load import loads

blp = Blueprint("agents_api", __name__, url_prefix="/api/v1/agents", description="Agents and presence.")
teams_blp = Blueprint("teams_api", __name__, url_prefix="/api/v1/teams", description="Teams and how they route.")


class AgentOut(Schema):
    id = fields.Integer()
    email = fields.String()
    name = fields.String()
    role = fields.Function(lambda u: u.role.value)
    teams = fields.Function(lambda u: [t.name for t in u.teams])
    skills = fields.Function(lambda u: u.skill_levels)
    languages = fields.List(fields.String())
    capacity = fields.Integer()
    presence = fields.Function(lambda u: u.presence.value)
    presence_changed_at = fields.DateTime(format="iso", allow_none=True)
    load = fields.Integer()
    state = fields.Function(lambda u: "busy" if u.presence.value == "available" and u.load >= u.capacity
                            else u.presence.value,
                            metadata={"description": "presence, with available at capacity shown as busy"})
    offers = fields.Dict(keys=fields.String(), values=fields.Integer(),
                         metadata={"description": "offers made to this agent, by outcome"})


class AgentListArgs(PageArgs):
    team = fields.String()
    presence = fields.String(validate=validate.OneOf([p.value for p in Presence]))


class PresenceIn(Schema):
    state = fields.String(required=True, validate=validate.OneOf([p.value for p in Presence]))


def _with_load(users: list[User]) -> list[User]:
    counts = loads([u.id for u in users])
    offers_by_agent = offer_stats([u.id for u in users])
    for u in users:
        u.load = counts.get(u.id, 0)
        u.offers = offers_by_agent.get(u.id, {})
    return users


class TeamOut(Schema):
    id = fields.Integer()
    name = fields.String()
    offer_mode = fields.Boolean()
    offer_timeout_seconds = fields.Integer()


class TeamPatch(Schema):
    offer_mode = fields.Boolean()
    offer_timeout_seconds = fields.Integer(validate=validate.Range(5, 600))


@teams_blp.route("", methods=["GET"])
@teams_blp.response(200, TeamOut(many=True))
def list_teams():
    """Teams and how they route (offer and accept, or straight assignment)."""
    current_actor()
    return db.session.scalars(select(Team).order_by(Team.name)).all()


@teams_blp.route("/<int(max=2147483647):team_id>", methods=["PATCH"])
@teams_blp.arguments(TeamPatch)
@teams_blp.response(200, TeamOut)
def patch_team(data, team_id):
    """Switch offer and accept on or off for a team, and its timeout (admins)."""
    return presence.configure_team(team_id, data, current_actor())


@blp.route("")
@blp.arguments(AgentListArgs, location="query")
@blp.response(200, page_schema(AgentOut, "AgentPage"))
def list_agents(args):
    """Staff who can hold tickets, with their current load."""
    current_actor()
    stmt = (select(User).where(User.active, User.role.in_([Role.agent, Role.supervisor]))
            .options(selectinload(User.teams), selectinload(User.skills)).order_by(User.name, User.id))
    if args.get("team"):
        stmt = stmt.where(User.teams.any(Team.name == args["team"]))
    if args.get("presence"):
        stmt = stmt.where(User.presence == Presence(args["presence"]))
    result = page_of(db.session.scalars(stmt).all(), args["page"], args["per_page"])
    result["items"] = _with_load(result["items"])
    return result


@blp.route("/<int(max=2147483647):agent_id>/presence", methods=["PUT"])
@blp.arguments(PresenceIn)
@blp.response(200, AgentOut)
def put_presence(data, agent_id):
    """Set presence: an agent their own, supervisors and admins anyone's."""
    agent = presence.set_presence(agent_id, data["state"], current_actor())
    return _with_load([agent])[0]


class TeamsIn(Schema):
    teams = fields.List(fields.String(validate=validate.Length(1, 80)), required=True,
                        validate=validate.Length(max=20), metadata={"description": "team names; each must exist"})


@blp.route("/<int(max=2147483647):agent_id>/teams", methods=["PUT"])
@blp.arguments(TeamsIn)
@blp.response(200, AgentOut)
def put_teams(data, agent_id):
    """Move a person between teams (admins). Their open consoles follow into the new team rooms."""
    return _with_load([presence.set_teams(agent_id, data["teams"], current_actor())])[0]
