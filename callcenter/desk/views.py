"""Agent pages. Thin: parse a form, call one service, show the result or the error."""
from __future__ import annotations

from urllib.parse import urlparse

from flask import (
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..actions import bulk as bulk_actions
from ..actions import customers as customer_actions
from ..actions import offers, tickets, transfers
from ..actions import presence as presence_actions
from ..agents.load import loads
from ..auth.models import Role, Team, User
from ..calls import service as calls
from ..customers import queries as customer_queries
from ..customers import services as customers
from ..customers.models import Tier
from ..db_types import utcnow
from ..errors import DomainError
from ..events import current_seq
from ..extensions import db
from ..followups import queries as followup_queries
from ..forms_common import category_choices, channel_choices, kind_choices
from ..i18n import language_code, safe_next
from ..routing.models import Offer, OfferStatus
from ..schemas_common import paginate
from ..sla.summaries import clocks_of
from ..staff import page_actor, refuse_if_forbidden, staff_blueprint
from ..tickets import access, collisions, labels, lifecycle, permissions
from ..tickets import queries as ticket_queries
from ..tickets.labels import describe_event
from ..tickets.labels import staff_status as status_label
from ..tickets.models import Ticket, TicketEvent, TicketMessage
from ..tickets.queries import apply_filters, visible_tickets
from ..tickets.schemas import TicketListArgs
from . import queue
from .forms import AssignForm, BulkForm, MessageForm, PhoneTicketForm, PromiseForm, TransitionForm, to_utc

bp = staff_blueprint("desk", __name__)
PER_PAGE = 25
_actor = page_actor


FILTERS = ("status", "priority", "kind", "channel", "category", "q", "page", "team", "assignee_id")
EARLIER_SHOWN = 5  # the customer panel's earlier tickets and answers; the customer page has them all


def console_home() -> str:
    """Where the signed-in person's console opens: sign-in lands there (queue.home_view), the
    agents board leads back to it."""
    return url_for("desk.index", view=queue.home_view(_actor()) or None)


@bp.route("/")
def index():
    """The console: counters, the agent's offers and the queue, redrawn live (console.js
    fetches /desk/fragments/queue on every event that may change it)."""
    return render_template("desk/list.html", **_queue(), counters=_counters(), kinds=kind_choices(),
                           rendered_seq=current_seq(),
                           teams=db.session.scalars(select(Team).order_by(Team.name)).all(),
                           channels=channel_choices(), categories=category_choices(),
                           agents=_agent_choices() if current_user.is_supervisor else [])


@bp.route("/fragments/queue")
def queue_fragment():
    """The live parts of the console (counters, offers, queue) as one fragment."""
    return render_template("desk/_queue.html", **_queue(), counters=_counters())


def _queue() -> dict:
    wanted = {k: v for k, v in request.args.items() if k in FILTERS and v}
    problems = []
    try:
        args = TicketListArgs().load(wanted)
    except ValidationError as err:
        problems = sorted(err.messages)
        args = TicketListArgs().load({k: v for k, v in wanted.items() if k not in err.messages})
    view = request.args.get("view") or ("mine" if request.args.get("mine") else "")
    sort = request.args.get("sort") or queue.default_sort(view)
    if sort not in ticket_queries.SORTS:
        problems.append("sort")
        sort = "newest"
    stmt = queue.in_view(apply_filters(visible_tickets(_actor()), args), view, _actor())
    stmt = ticket_queries.ordered(stmt.options(selectinload(Ticket.customer), selectinload(Ticket.assignee),
                                               selectinload(Ticket.team)), sort)
    result = paginate(db.session, stmt, args["page"], PER_PAGE)
    my_offers = db.session.execute(
        select(Offer, Ticket).join(Ticket, Ticket.id == Offer.ticket_id)
        .where(Offer.agent_id == current_user.id, Offer.status == OfferStatus.pending)
        .order_by(Offer.expires_at)).all()
    return {"result": result, "args": request.args, "statuses": lifecycle.STATUSES, "status_label": status_label,
            "my_offers": my_offers, "sla_state": labels.sla_state, "view": view, "sort": sort,
            "sorts": ticket_queries.SORTS, "problems": problems, "now": utcnow()}


def _counters() -> dict:
    return queue.counters(_actor(), utcnow())


@bp.route("/bulk", methods=["POST"])
def bulk():
    """Assign or move the ticked tickets (actions/bulk.py): what could not be done is named with
    the reason, the rest is done."""
    form = BulkForm()
    back = safe_next(request.form.get("next"), url_for("desk.index"))
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
        return redirect(back)
    done, refused = bulk_actions.apply(form.ticket_ids.data, form.action.data, _actor(),
                                       agent_id=form.agent_id.data, to=form.to.data or "")
    if done:
        flash(ngettext("%(num)d ticket done.", "%(num)d tickets done.", done), "success")
    for ticket_id, err in refused:
        flash(_refusal(ticket_id, err), "error")
    return redirect(back)


def _refusal(ticket_id: int, err: DomainError) -> str:
    """Why one ticket of a bulk action was not done, naming it only to someone who may see it
    (a guessed id of another team's ticket stays a number)."""
    ticket = db.session.get(Ticket, ticket_id)
    if ticket is None or not access.may_view(ticket, _actor()):
        return _("#%(id)s: no such ticket among those you may see.", id=ticket_id)
    return _("%(reference)s: %(reason)s", reference=ticket.reference, reason=err.message)


@bp.route("/next")
def next_ticket():
    """The "next" button: the agent's most urgent open ticket (breached first, then least SLA
    time left), or the list when they hold none."""
    ticket_id = queue.most_urgent(_actor())
    if ticket_id is None:
        flash(_("You hold no open ticket."), "info")
        return redirect(url_for("desk.index", view="mine"))
    return redirect(url_for("desk.ticket", ticket_id=ticket_id))


@bp.route("/offers/<int(max=2147483647):offer_id>/<any(accept, reject):answer>", methods=["POST"])
def answer_offer(offer_id: int, answer: str):
    try:
        if answer == "accept":
            ticket = offers.accept(offer_id, _actor())
            flash(_("Ticket %(reference)s is yours.", reference=ticket.reference), "success")
            return redirect(url_for("desk.ticket", ticket_id=ticket.id))
        offers.reject(offer_id, _actor())
        flash(_("Offer declined; the ticket goes to the next agent."), "info")
    except DomainError as err:
        refuse_if_forbidden(err)
        flash(err.message, "error")
    return redirect(url_for("desk.index"))


@bp.route("/phone", methods=["GET", "POST"])
def phone():
    """An agent logs a phone call as a ticket."""
    form = PhoneTicketForm()
    if request.method == "GET":
        form.language.data = language_code()  # most callers speak the agent's language
        call = calls.get(request.args.get("call", type=int) or 0)
        if call is not None and (call.agent_id == current_user.id or current_user.is_supervisor):
            form.phone.data = call.caller  # from the screen pop: the number the call came from
    matches: list = []
    if form.validate_on_submit():
        data = form.ticket_data("phone")
        data["priority"] = form.priority.data or None
        data["severity"] = form.severity.data or None
        data["language"] = form.language.data
        if (form.promise.data or "").strip():
            data["promises"] = [{"description": form.promise.data, "due_at": to_utc(form.promise_due.data)}]
        contact = customers.Contact.of(data["customer"])
        matches = _matches(contact)
        choice = _customer_choice(request.form.get("customer_choice"), matches)
        if matches and choice is None:
            # Who is calling is the agent's call to make, before anything is saved.
            if request.form.get("customer_choice"):
                form.form_errors.append(_("Choose one of the records below, or a new contact."))
            return render_template("desk/phone.html", form=form, matches=matches), 200
        if choice == "new":
            data["customer"]["new"] = True
        elif choice is not None:
            data["customer"]["id"] = choice
        try:
            ticket, _created = tickets.create_ticket(data, _actor())
        except DomainError as err:
            refuse_if_forbidden(err)
            form.form_errors.append(err.message)
        else:
            flash(_("Ticket %(reference)s created.", reference=ticket.reference), "success")
            if not access.may_view(ticket, _actor()):
                return redirect(url_for("desk.index"))  # another team's ticket now: back to the list
            return redirect(url_for("desk.ticket", ticket_id=ticket.id))
    return render_template("desk/phone.html", form=form, matches=matches), 400 if request.method == "POST" else 200


def _matches(contact) -> list[dict]:
    """The records holding the caller's phone or email, with what the agent needs to decide."""
    found = customer_queries.candidates(contact.phone_norm, contact.email_norm)
    counts = customer_queries.ticket_counts([c.id for c, _on in found])
    return [{"customer": c, "matched": labels.matched_on(on), "tickets": counts.get(c.id, 0)} for c, on in found]


def _customer_choice(raw: str | None, matches: list[dict]) -> int | str | None:
    """"new", the id of one of the records shown, or None (not chosen, or not one of them)."""
    if raw == "new":
        return "new"
    ids = {m["customer"].id for m in matches}
    return int(raw) if raw and raw.isdigit() and int(raw) in ids else None


def _ticket_page(ticket_id: int, http_status: int = 200, new_link: str | None = None, review=None, **forms):
    ticket = access.get_visible(ticket_id, _actor())
    # Events before messages: on PostgreSQL each statement sees its own snapshot, so a message
    # committed in between is shown without being counted as seen (a reply then errs towards
    # review, never past it).
    events = db.session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
                                .order_by(TicketEvent.id)).all()
    messages = db.session.scalars(select(TicketMessage).where(TicketMessage.ticket_id == ticket.id)
                                  .order_by(TicketMessage.id)).all()
    assign_form = forms.get("assign_form") or AssignForm()
    assign_form.agent_id.choices = _agent_choices(with_state=True)
    return render_template(
        "desk/ticket.html", ticket=ticket, labels=labels, messages=messages, events=events, status_label=status_label,
        clocks=clocks_of(ticket), sla_clock=labels.sla_clock, sla_state=labels.sla_state,
        describe_event=describe_event, team_names={t.id: t.name for t in db.session.scalars(select(Team))},
        allowed=lifecycle.allowed_transitions(ticket.status.value),
        is_final=ticket.status.value in lifecycle.FINAL_STATUSES,
        can_change=permissions.can_change(_actor(), ticket.team_id, ticket.assignee_id),
        promise_clocks={f"promise:{p.id}": p for p in ticket.promises},
        is_assignable=ticket.status.value in lifecycle.ASSIGNABLE,
        is_reopen=lambda to: lifecycle.is_reopen(ticket.status.value, to),
        message_form=forms.get("message_form") or MessageForm(),
        transition_form=forms.get("transition_form") or TransitionForm(),
        promise_form=forms.get("promise_form") or PromiseForm(), assign_form=assign_form,
        can_assign_others=current_user.is_supervisor,
        close_fields=lifecycle.COMPLAINT_CLOSE_FIELDS if ticket.kind.value == "complaint" else (),
        matches=_ticket_matches(ticket), matched_on=labels.matched_on, new_link=new_link,
        latest_event_id=events[-1].id if events else 0, review=review, **_customer_panel(ticket),
        rendered_seq=current_seq(),
    ), http_status


def _customer_panel(ticket: Ticket) -> dict:
    """Who this customer is to the desk: their earlier tickets (those this person may see) and
    their latest answers (surveys, revisit calls)."""
    if ticket.customer_id is None:
        return {"earlier": [], "answers": []}
    earlier = db.session.scalars(visible_tickets(_actor()).where(Ticket.customer_id == ticket.customer_id,
                                                                 Ticket.id != ticket.id)
                                 .order_by(Ticket.id.desc()).limit(EARLIER_SHOWN)).all()
    return {"earlier": earlier, "answers": followup_queries.satisfaction_of(ticket.customer_id, limit=EARLIER_SHOWN)}


def _ticket_matches(ticket: Ticket) -> list[dict]:
    found = access.pending_matches(ticket.id)
    counts = customer_queries.ticket_counts([m.customer_id for m in found])
    return [{"match": m, "customer": m.customer, "tickets": counts.get(m.customer_id, 0)} for m in found]


@bp.route("/tickets/<int(max=2147483647):ticket_id>")
def ticket(ticket_id: int):
    return _ticket_page(ticket_id)


@bp.route("/tickets/<int(max=2147483647):ticket_id>/conversation")
def conversation(ticket_id: int):
    """The conversation alone, for the page to redraw when the ticket changes."""
    ticket = access.get_visible(ticket_id, _actor())
    latest = collisions.latest_event_id(ticket.id)  # first, as in _ticket_page
    messages = db.session.scalars(select(TicketMessage).where(TicketMessage.ticket_id == ticket.id)
                                  .order_by(TicketMessage.id)).all()
    return render_template("desk/_conversation.html", ticket=ticket, messages=messages, latest_event_id=latest,
                           status_label=status_label)


def _act(ticket_id: int, form, form_name: str, action, success: str):
    """Run one service call for a submitted form; show the page again with the error if it fails."""
    if form.validate_on_submit():
        try:
            action(form)
        except DomainError as err:
            refuse_if_forbidden(err)
            form.form_errors.append(err.message)
            if err.details.get("missing"):  # codes in the API's details; the form's own labels here
                names = [str(form[name].label.text) if name in form else name for name in err.details["missing"]]
                form.form_errors.append(_("Missing: %(fields)s", fields=_(", ").join(names)))
        else:
            flash(success, "success")
            return redirect(url_for("desk.ticket", ticket_id=ticket_id))
    return _ticket_page(ticket_id, 400, **{form_name: form})


@bp.route("/tickets/<int(max=2147483647):ticket_id>/messages", methods=["POST"])
def post_message(ticket_id: int):
    form = MessageForm()
    if form.validate_on_submit():
        try:
            tickets.add_message(ticket_id, form.body.data, form.internal.data, _actor(),
                                seen_event_id=form.seen_event_id.data)
        except DomainError as err:
            refuse_if_forbidden(err)
            if err.code != "ticket_changed":
                form.form_errors.append(err.message)
                return _ticket_page(ticket_id, 400, message_form=form)
            # Held for review: the draft stays in the box, and sending it again now means it.
            form.seen_event_id.data = err.details["latest_event_id"]
            return _ticket_page(ticket_id, 409, message_form=form, review=(err.message, err.details["changes"]))
        flash(_("Message saved."), "success")
        # The fragment tells the page that the browser-kept draft went out (ticket.js drops it).
        return redirect(url_for("desk.ticket", ticket_id=ticket_id, _anchor="sent"))
    return _ticket_page(ticket_id, 400, message_form=form)


@bp.route("/tickets/<int(max=2147483647):ticket_id>/transition", methods=["POST"])
def transition(ticket_id: int):
    def run(f):
        resolution = {name: getattr(f, name).data for name in lifecycle.COMPLAINT_CLOSE_FIELDS
                      if getattr(f, name).data}
        tickets.transition(ticket_id, f.to.data, _actor(), reason=f.reason.data or None,
                           resolution=resolution or None)

    return _act(ticket_id, TransitionForm(), "transition_form", run, _("Status changed."))


def _agent_choices(with_state: bool = False) -> list[tuple[int, str]]:
    """Who a ticket may go to; with_state: each with their presence and load (agents/load.py), so a
    supervisor sees who is away or full before choosing."""
    people = db.session.scalars(select(User).where(User.active, User.role.in_([Role.agent, Role.supervisor]))
                                .order_by(User.name)).all()
    if not with_state:
        return [(u.id, u.name) for u in people]
    seats = loads([u.id for u in people])
    return [(u.id, f"{u.name} · {labels.presence(u.presence.value)} · {seats.get(u.id, 0)}/{u.capacity}")
            for u in people]


@bp.route("/tickets/<int(max=2147483647):ticket_id>/assign", methods=["POST"])
def assign(ticket_id: int):
    form = AssignForm()
    form.agent_id.choices = _agent_choices()
    if request.form.get("take"):
        form.agent_id.data = current_user.id  # "Take it"; whom else one may assign, the service decides
    return _act(ticket_id, form, "assign_form",
                lambda f: transfers.transfer(ticket_id, f.agent_id.data, f.note.data, _actor()), _("Ticket assigned."))


@bp.route("/tickets/<int(max=2147483647):ticket_id>/promises", methods=["POST"])
def add_promise(ticket_id: int):
    return _act(ticket_id, PromiseForm(), "promise_form",
                lambda f: tickets.add_promise(ticket_id, f.description.data, to_utc(f.due_at.data), _actor()),
                _("Promise recorded."))


@bp.route("/tickets/<int(max=2147483647):ticket_id>/promises/<int(max=2147483647):promise_id>/<any(kept, cancelled):outcome>",
          methods=["POST"])
def settle_promise(ticket_id: int, promise_id: int, outcome: str):
    try:
        tickets.settle_promise(ticket_id, promise_id, outcome, _actor())
        flash(_("Promise marked as kept.") if outcome == "kept" else _("Promise cancelled."), "success")
    except DomainError as err:
        refuse_if_forbidden(err)
        flash(err.message, "error")
    return redirect(url_for("desk.ticket", ticket_id=ticket_id))


@bp.route("/tickets/<int(max=2147483647):ticket_id>/customer-matches/<int(max=2147483647):match_id>/<any(confirm, reject):decision>",
          methods=["POST"])
def decide_match(ticket_id: int, match_id: int, decision: str):
    try:
        if decision == "confirm":
            tickets.confirm_match(ticket_id, match_id, _actor())
            flash(_("The ticket is now on the customer's record."), "success")
        else:
            tickets.reject_match(ticket_id, match_id, _actor())
            flash(_("Suggestion rejected."), "info")
    except DomainError as err:
        refuse_if_forbidden(err)
        flash(err.message, "error")
    return redirect(url_for("desk.ticket", ticket_id=ticket_id))


@bp.route("/tickets/<int(max=2147483647):ticket_id>/status-link", methods=["POST"])
def status_link(ticket_id: int):
    """A fresh link to the customer's status page, shown once (to read out on the phone)."""
    try:
        if request.form.get("revoke"):
            tickets.revoke_status_links(ticket_id, _actor())
            flash(_("Every link to this ticket's status page stopped working."), "success")
        else:
            token = tickets.new_status_link(ticket_id, _actor())
            # Shown on this page only: a flash would carry it in the session cookie.
            return _ticket_page(ticket_id, new_link=url_for("portal.status", token=token, _external=True))
    except DomainError as err:
        refuse_if_forbidden(err)
        flash(err.message, "error")
    return redirect(url_for("desk.ticket", ticket_id=ticket_id))


@bp.route("/customers/<int(max=2147483647):customer_id>")
def customer(customer_id: int):
    """A customer and the tickets of theirs this user may see."""
    person = customer_queries.get_visible(customer_id, _actor())
    history = db.session.scalars(visible_tickets(_actor()).where(Ticket.customer_id == person.id)
                                 .order_by(Ticket.id.desc())).all()
    return render_template("desk/customer.html", customer=person, tickets=history, status_label=status_label,
                           tiers=[t.value for t in Tier])


@bp.route("/customers/<int(max=2147483647):customer_id>/tier", methods=["POST"])
def customer_tier(customer_id: int):
    try:
        customer_actions.set_tier(customer_id, request.form.get("tier", ""), _actor())
        flash(_("Tier changed."), "success")
    except DomainError as err:
        refuse_if_forbidden(err)
        flash(err.message, "error")
    return redirect(url_for("desk.customer", customer_id=customer_id))


@bp.route("/presence", methods=["POST"])
def presence():
    """The presence switch in the header."""
    try:
        presence_actions.set_presence(current_user.id, request.form.get("state", ""), _actor())
    except DomainError as err:
        refuse_if_forbidden(err)
        flash(err.message, "error")
    return redirect(safe_next(request.referrer and urlparse(request.referrer).path, url_for("desk.index")))
