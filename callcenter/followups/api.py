"""/api/v1/callbacks, /api/v1/revisits and /api/v1/followup-policy."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_smorest import Blueprint

from ..actions import followups as followup_actions
from ..auth.api_auth import current_actor
from ..customers.normalise import normalise_phone
from ..db_types import utcnow
from ..errors import Forbidden
from ..extensions import db
from ..schemas_common import page_schema, paginate
from ..tickets.access import get_visible
from . import access, service
from .models import FollowUpKind
from .schemas import (
    AttemptIn,
    CallbackIn,
    FollowUpListArgs,
    FollowUpOut,
    PolicySchema,
    RevisitAttemptIn,
    SlotArgs,
    SlotList,
)

blp = Blueprint("followups_api", __name__, url_prefix="/api/v1",
                description="Callbacks customers ask for, revisits after resolution, and their policy.")
FollowUpPage = page_schema(FollowUpOut, "FollowUpPage")


def _staff():
    actor = current_actor()
    if not actor.is_staff:
        raise Forbidden(_("Only staff use the follow-ups API."))
    return actor


# ---------------------------------------------------------------- callbacks

@blp.route("/callbacks", methods=["POST"])
@blp.arguments(CallbackIn)
@blp.response(201, FollowUpOut)
def create_callback(data):
    """Book a callback in a window inside the desk's open hours (GET /callbacks/slots offers some).
    A window in the past, outside open hours, ending before it starts or in the customer's
    do-not-call hours is 422."""
    return followup_actions.request_callback(data, _staff(), requested_by="api")


@blp.route("/callbacks/slots")
@blp.arguments(SlotArgs, location="query")
@blp.response(200, SlotList)
def callback_slots(args):
    """Windows a callback may be booked in, clear of the customer's do-not-call hours."""
    actor = _staff()
    customer = None
    if args["ticket_id"]:
        customer = get_visible(args["ticket_id"], actor).customer
    elif args["phone"]:
        customer = service.customer_by_phone(normalise_phone(args["phone"]))
    slots = service.slots(utcnow(), service.settings(), customer, count=args["count"])
    return {"items": [{"window_start": a, "window_end": b} for a, b in slots]}


@blp.route("/callbacks")
@blp.arguments(FollowUpListArgs, location="query")
@blp.response(200, FollowUpPage)
def list_callbacks(args):
    """Your callbacks (supervisors: everyone's), or a ticket's."""
    stmt = access.listing(FollowUpKind.callback, _staff(), ticket_id=args["ticket_id"], status=args["status"],
                          mine=args["mine"])
    return paginate(db.session, stmt, args["page"], args["per_page"])


@blp.route("/callbacks/<int(max=2147483647):followup_id>")
@blp.response(200, FollowUpOut)
def get_callback(followup_id):
    return access.readable(followup_id, _staff(), FollowUpKind.callback)


@blp.route("/callbacks/<int(max=2147483647):followup_id>/attempts", methods=["POST"])
@blp.arguments(AttemptIn)
@blp.response(201, FollowUpOut)
def callback_attempt(data, followup_id):
    """Record a try: reached closes it; no answer or busy retries on the policy's schedule (never
    outside open hours or in do-not-call hours) until the tries are used up (unreachable, and
    the customer is told); a wrong number closes it at once and marks the number suspect."""
    actor = _staff()
    access.readable(followup_id, actor, FollowUpKind.callback)
    return followup_actions.record_attempt(followup_id, actor, data["outcome"], data["note"])


@blp.route("/callbacks/<int(max=2147483647):followup_id>/decline", methods=["POST"])
@blp.response(200, FollowUpOut)
def decline_callback(followup_id):
    """Not for me: it goes to the next agent (not a failed try)."""
    actor = _staff()
    access.readable(followup_id, actor, FollowUpKind.callback)
    return followup_actions.decline(followup_id, actor)


@blp.route("/callbacks/<int(max=2147483647):followup_id>/cancel", methods=["POST"])
@blp.response(200, FollowUpOut)
def cancel_callback(followup_id):
    actor = _staff()
    access.readable(followup_id, actor, FollowUpKind.callback)
    return followup_actions.cancel(followup_id, actor)


# ---------------------------------------------------------------- revisits

@blp.route("/revisits")
@blp.arguments(FollowUpListArgs, location="query")
@blp.response(200, FollowUpPage)
def list_revisits(args):
    """A ticket's revisits (?ticket_id=), yours, or (supervisors) everyone's."""
    stmt = access.listing(FollowUpKind.revisit, _staff(), ticket_id=args["ticket_id"], status=args["status"],
                          mine=args["mine"])
    return paginate(db.session, stmt, args["page"], args["per_page"])


@blp.route("/revisits/<int(max=2147483647):followup_id>")
@blp.response(200, FollowUpOut)
def get_revisit(followup_id):
    return access.readable(followup_id, _staff(), FollowUpKind.revisit)


@blp.route("/revisits/<int(max=2147483647):followup_id>/attempts", methods=["POST"])
@blp.arguments(RevisitAttemptIn)
@blp.response(201, FollowUpOut)
def revisit_attempt(data, followup_id):
    """Record a revisit call. When reached: solved?, score 1-5, comment, may we contact you
    again. Not solved or a score of 1-2 starts a service recovery: the ticket reopens one priority
    step higher, its team's supervisors are alerted, and a second revisit follows its next
    resolution."""
    actor = _staff()
    access.readable(followup_id, actor, FollowUpKind.revisit)
    answers = {k: data[k] for k in ("solved", "score", "comment", "may_contact_again")}
    return followup_actions.record_attempt(followup_id, actor, data["outcome"], data["note"], answers)


@blp.route("/revisits/<int(max=2147483647):followup_id>/decline", methods=["POST"])
@blp.response(200, FollowUpOut)
def decline_revisit(followup_id):
    actor = _staff()
    access.readable(followup_id, actor, FollowUpKind.revisit)
    return followup_actions.decline(followup_id, actor)


# ---------------------------------------------------------------- the policy

@blp.route("/followup-policy")
@blp.response(200, PolicySchema)
def get_policy():
    """Retries, slots, revisit rules, surveys and closing (supervisors and admins)."""
    if not _staff().is_supervisor:
        raise Forbidden(_("Only supervisors and admins read the follow-up policy."))
    return service.settings().as_dict()


@blp.route("/followup-policy", methods=["PUT"])
@blp.arguments(PolicySchema)
@blp.response(200, PolicySchema)
def put_policy(data):
    """Change the policy (admins). Only the fields given change; a calendar that does not exist
    or a skill not in the catalogue is 422."""
    return followup_actions.save_policy(data, _staff()).as_dict()
