"""The figures each ticket keeps, and the KPI summary that reads them, against a recount.

A seeded random story of a few days (STORY_TICKETS tickets, random.Random(SEED)) is driven
through the real actions at chosen instants, in the order they happen: tickets created,
assigned and transferred, answered by a reply or a move without an assignment, replied to in
public and in internal notes, written to by the customer, put on hold for the customer,
resolved, reopened (by the customer, by an agent, by a bad survey or revisit), closed,
cancelled while waiting (abandons, some under ten seconds) or after an answer; surveys
answered; callbacks and revisits called, reached or not; SLA clocks decided by the sweep a
worker runs, escalations included.

Then each ticket's columns (answered_at, queue_wait_seconds, handle_seconds, agent_replies,
reopen_count, resolved_at, cancelled_at) and each SLA clock's decided_at are worked out again
here from the event log (ticket_events, ticket_messages, the clocks' own history), by the
definitions of docs/KPIS.md, without the code that keeps them; and summary()'s counts against
plain SQL over the tables (benchmarks/kpi.py's RECOUNT_* statements, as they check a million
tickets).

The audit trail stamps an event when it is written (utcnow), not at the action's `now`: a story
told at chosen instants stamps each event here at the instant of the action that wrote it, as a
desk working live would (_stamped below). Nothing else is touched.

RECOUNT_SEED=n tells another story; the tests then also say what case that story lacks."""
from __future__ import annotations

import heapq
import os
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import bindparam, event, select, text

from callcenter import events
from callcenter.actions import assignment, followup_routing, followups, sla, tickets
from callcenter.actors import Actor
from callcenter.auth.models import User
from callcenter.db_types import UTCDateTime
from callcenter.extensions import db
from callcenter.followups.models import FollowUp, FollowUpKind, FollowUpStatus, Survey
from callcenter.followups.service import survey_token
from callcenter.kpi import formulas
from callcenter.kpi.summary import summary
from callcenter.sla.models import SlaClock, SlaFired, SlaPolicy
from callcenter.tickets.models import Ticket, TicketEvent, TicketMessage
from tests.conftest import _truncate_all
from tests.factories import World, actor_of, agent, build_world, set_presence, ticket_body

SEED = int(os.environ.get("RECOUNT_SEED", "20300304"))  # another seed tells another story
STORY_TICKETS = 42
BASE = datetime(2030, 3, 4, 0, 0, tzinfo=timezone.utc)  # a Monday, 08:00 in Shanghai
CREATED_WITHIN = timedelta(days=3)
END = BASE + timedelta(days=3, hours=12)  # the story's last instant: "now" for the figures
# The SLA sweep (every 30 s for real): this seldom, clocks pause, resume and stop after their due
# time before a check records the breach, as when the worker is down.
SWEEP_EVERY = timedelta(hours=2)
CALLS_EVERY = timedelta(hours=1)  # callbacks and revisits due are called
TARGETS = {"first_response_seconds": 1800, "next_response_seconds": 3600, "resolution_seconds": 4 * 3600,
           "final_response_seconds": 24 * 3600}
# Six hours after a breach the ticket goes to its team's supervisor: an answer by escalation.
ESCALATION = [{"level": 2, "after_seconds": 6 * 3600, "notify": "supervisors", "reassign_to": "supervisor"}]
TEAM_AGENTS = {"billing": ("anna", "bert"), "network": ("nina",), "other": ("anna", "bert", "nina")}
OPEN = ("new", "assigned", "in_progress", "pending_customer")
RESOLUTION = {"resolution_summary": "refunded", "root_cause": "double charge", "responsible_department": "billing"}


# ---------------------------------------------------------------- the story

@dataclass
class Story:
    """What was done, by ticket, for the messages of a failed comparison."""

    ids: list[int] = field(default_factory=list)
    log: dict[int, list[str]] = field(default_factory=dict)
    tokens: dict[int, str] = field(default_factory=dict)
    caller_id: int = 0
    world: World | None = None

    def note(self, ticket_id: int, when: datetime, what: str) -> None:
        self.log.setdefault(ticket_id, []).append(f"+{(when - BASE).total_seconds():.0f}s {what}")

    def told(self, ticket_id: int) -> str:
        return "\n      ".join(self.log.get(ticket_id, []))


class StoryClock:
    now: datetime | None = None


def _stamped(clock: StoryClock):
    """Audit events written while the story runs carry the instant of the action that wrote them."""
    def stamp(_mapper, _connection, row):
        if clock.now is not None:
            row.created_at = clock.now
    return stamp


def _delay(rng: random.Random) -> int:
    """Seconds until a ticket's next turn: mostly minutes, sometimes hours."""
    low, high = rng.choices([(30, 600), (600, 3600), (3600, 4 * 3600), (4 * 3600, 16 * 3600)], [40, 35, 18, 7])[0]
    return rng.randint(low, high)


def _first_wait(rng: random.Random, fate: str) -> int:
    """The first wait, around the figures' edges: the 20 s threshold and the 10 s short abandon."""
    if fate == "abandon":
        return rng.choice([0, rng.randint(1, 9), 9, 10, rng.randint(11, 300), rng.randint(300, 3600)])
    return rng.choice([rng.randint(1, 9), 10, rng.randint(11, 19), 20, 21, rng.randint(22, 120),
                       rng.randint(120, 1500), rng.randint(1500, 5400)])


def _tell(world, rng: random.Random, clock: StoryClock) -> Story:
    story = Story()
    story.caller_id = agent("cara@test.cc", teams=["Billing", "Network"], skills={"billing": 3, "network": 4},
                            presence="offline").id
    db.session.add(SlaPolicy(name="desk", match={}, calendar="24x7", position=1, targets=TARGETS,
                             warn_at=[], escalation=ESCALATION))
    db.session.commit()
    queue: list[tuple[datetime, int, str, int]] = []
    seq = 0

    def at(when: datetime, what: str, index: int = -1) -> None:
        nonlocal seq
        if when <= END:
            heapq.heappush(queue, (when, seq, what, index))
            seq += 1

    tick = BASE
    while tick <= END:
        at(tick, "sweep")
        tick += SWEEP_EVERY
    tick = BASE
    while tick <= END:
        at(tick, "calls")
        tick += CALLS_EVERY
    plans = []
    for index in range(STORY_TICKETS):
        plans.append({"fate": rng.choices(["work", "abandon", "wait"], [72, 18, 10])[0],
                      "category": rng.choices(["billing", "network", "other"], [60, 30, 10])[0],
                      "kind": rng.choices(["inquiry", "service_request", "complaint"], [60, 20, 20])[0],
                      "turns": rng.randint(2, 8), "id": None})
        # the ones nobody takes come last: an escalation would give them to a supervisor in time
        created = (END - timedelta(seconds=rng.randint(0, 6 * 3600)) if plans[-1]["fate"] == "wait"
                   else BASE + timedelta(seconds=rng.randint(0, int(CREATED_WITHIN.total_seconds()))))
        at(created, "ticket", index)
    while queue:
        when, _seq, what, index = heapq.heappop(queue)
        clock.now = when
        if what == "sweep":
            sla.sweep(now=when)
        elif what == "calls":
            _make_calls(rng, story, when)
        else:
            plan = plans[index]
            nxt = _turn(world, rng, story, plan, index, when)
            if nxt is not None:
                at(when + timedelta(seconds=nxt), "ticket", index)
        db.session.remove()  # each action reads the database afresh, as a request would
    clock.now = END
    sla.sweep(now=END)  # the last sweep: every clock due by the end is decided
    clock.now = None
    db.session.remove()
    return story


def _turn(world, rng: random.Random, story: Story, plan: dict, index: int, when: datetime) -> int | None:
    """The ticket's next step at `when`; the seconds to its next turn, or None when its story ends."""
    boss = actor_of(world, "boss")
    if plan["id"] is None:
        n = index + 1
        body = ticket_body(kind=plan["kind"], category=plan["category"], subject=f"Story ticket {n}",
                           customer={"name": f"客户{n}", "phone": f"+86 138 0013 {n:04d}",
                                     "email": f"customer{n}@example.cn"})
        ticket, _ = tickets.create_ticket(body, boss, with_status_link=True, now=when)
        plan["id"] = ticket.id
        story.ids.append(ticket.id)
        story.tokens[ticket.id] = ticket.status_token
        story.note(ticket.id, when, f"created ({plan['kind']}, {plan['category']}, {plan['fate']})")
        return None if plan["fate"] == "wait" else _first_wait(rng, plan["fate"])
    if plan["turns"] <= 0:
        return None
    plan["turns"] -= 1
    ticket = db.session.get(Ticket, plan["id"])
    status, holder = ticket.status.value, ticket.assignee_id
    tid = ticket.id
    holder_actor = _actor(holder) if holder else boss

    def note(what: str) -> None:
        story.note(tid, when, what)

    if status == "new":
        if plan["fate"] == "abandon" and ticket.answered_at is None:
            tickets.transition(tid, "cancelled", boss, reason="customer hung up", now=when)
            note("cancelled while waiting")
            return None
        how = rng.choices(["assign", "reply", "move", "callback"], [60, 15, 15, 10])[0]
        if how == "assign":
            who = rng.choice(TEAM_AGENTS[plan["category"]])
            assignment.assign(tid, world.id(who), boss, override=True, now=when)
            note(f"assigned to {who}")
        elif how == "reply":
            tickets.add_message(tid, "We are looking into it.", False, boss, now=when)
            note("boss replies, unassigned")
        elif how == "move":
            tickets.transition(tid, "in_progress", boss, now=when)
            note("boss starts it, unassigned")
        else:
            _book_callback(rng, story, ticket, boss, when)
        return _delay(rng)
    if status in ("assigned", "in_progress", "pending_customer"):
        weights = {"reply": 28, "note": 12, "customer": 12, "hold": 8, "resolve": 30, "transfer": 6, "cancel": 3,
                   "callback": 3, "nothing": 4}
        if status == "pending_customer":
            weights.update(customer=40, hold=0, reply=8, note=4, transfer=0)
        how = rng.choices(list(weights), list(weights.values()))[0]
        if how == "reply":
            tickets.add_message(tid, "Here is what we found.", False, holder_actor, now=when)
            note("agent replies")
        elif how == "note":
            tickets.add_message(tid, "Checked the ledger.", True, holder_actor, now=when)
            note("internal note")
        elif how == "customer":
            tickets.customer_reply(story.tokens[tid], "Any news?", now=when)
            note("customer writes")
        elif how == "hold":
            tickets.transition(tid, "pending_customer", holder_actor, now=when)
            note("waits on the customer")
        elif how == "resolve":
            tickets.transition(tid, "resolved", holder_actor, reason="fixed", now=when)
            note("resolved")
        elif how == "transfer":
            who = rng.choice([w for w in ("anna", "bert", "nina", "boss") if world.id(w) != holder])
            assignment.assign(tid, world.id(who), boss, override=True, now=when)
            note(f"transferred to {who}")
        elif how == "cancel":
            tickets.transition(tid, "cancelled", boss, reason="duplicate", now=when)
            note("cancelled after an answer")
            return None
        elif how == "callback":
            _book_callback(rng, story, ticket, boss, when)
        return _delay(rng)
    if status in ("resolved", "closed"):
        survey = db.session.scalar(select(Survey).where(Survey.ticket_id == tid, Survey.answered_at.is_(None)))
        choices = {"survey": 45 if survey else 0, "customer": 15 if status == "resolved" else 0,
                   "reopen": 10 if status == "resolved" else 0, "close": 20 if status == "resolved" else 0, "end": 10}
        how = rng.choices(list(choices), list(choices.values()))[0]
        if how == "survey":
            csat = rng.choices(range(1, 6), [1, 1, 2, 4, 6])[0]  # mostly content: a bad answer reopens it
            nps = rng.choices(range(11), [1] * 7 + [2, 3, 6, 6])[0]
            followups.answer_survey(survey_token(survey), csat, nps, None, now=when)
            note(f"survey answered: csat {csat}, nps {nps}")
        elif how == "customer":
            tickets.customer_reply(story.tokens[tid], "It is broken again.", now=when)
            note("customer writes after the resolution")
        elif how == "reopen":
            tickets.transition(tid, "in_progress", holder_actor, reason="not fixed", now=when)
            note("agent reopens")
        elif how == "close":
            tickets.transition(tid, "closed", holder_actor, resolution=RESOLUTION, now=when)
            note("closed")
        else:
            return None
        return _delay(rng)
    return None  # cancelled


def _actor(user_id: int) -> Actor:
    return Actor.of_user(db.session.get(User, user_id))


def _book_callback(rng: random.Random, story: Story, ticket: Ticket, boss, when: datetime) -> None:
    start = when + timedelta(minutes=rng.randint(5, 90))
    followups.request_callback({"ticket_id": ticket.id, "phone": ticket.contact_phone, "name": ticket.contact_name,
                                "window_start": start, "window_end": start + timedelta(hours=1)}, boss, now=when)
    story.note(ticket.id, when, "callback booked")


def _make_calls(rng: random.Random, story: Story, when: datetime) -> None:
    """The calls due now (callbacks and revisits), made by cara, who is online for them alone."""
    due = db.session.execute(select(FollowUp.id, FollowUp.kind, FollowUp.ticket_id).where(
        FollowUp.status == FollowUpStatus.scheduled, FollowUp.next_attempt_at <= when).order_by(FollowUp.id)).all()
    if not due:
        return
    db.session.remove()
    set_presence(story.caller_id, "available")
    caller = _actor(story.caller_id)
    for followup_id, kind, ticket_id in due:
        followup_routing.due(followup_id, when)
        db.session.remove()
        held = db.session.get(FollowUp, followup_id)
        if held.status is not FollowUpStatus.assigned or held.assignee_id != story.caller_id:
            continue
        answers = None
        if kind is FollowUpKind.callback:
            outcome = rng.choices(["reached", "wrong_number", "no_answer"], [55, 20, 25])[0]
        else:
            outcome = rng.choices(["reached", "no_answer"], [75, 25])[0]
            if outcome == "reached":
                answers = {"solved": rng.random() < 0.8, "score": rng.choices(range(1, 6), [1, 1, 2, 4, 6])[0]}
        followups.record_attempt(followup_id, caller, outcome, answers=answers, now=when)
        if ticket_id:
            story.note(ticket_id, when, f"{kind.value} call: {outcome}{'' if answers is None else f' {answers}'}")
        db.session.remove()
    set_presence(story.caller_id, "offline")


@pytest.fixture
def clean_state():
    """The story is told once for the module (story, below); each test only reads it."""
    yield


@pytest.fixture(scope="module")
def story(app) -> Story:
    with app.app_context():
        _truncate_all()
        db.session.remove()
    app.extensions["callcenter.redis"].flushdb()
    clock = StoryClock()
    stamp = _stamped(clock)
    event.listen(TicketEvent, "before_insert", stamp)
    real = events._run
    try:
        with pytest.MonkeyPatch.context() as patch, app.app_context():
            # What a commit sets off afterwards (socket events, jobs for a worker) is not sent: no
            # worker runs here, the sweep stands in for the clocks' jobs, the figures are all rows.
            patch.setattr(events, "_run", lambda batch: real(batch) if isinstance(batch[0], events.PendingCall) else None)
            world = build_world()
            story = _tell(world, random.Random(SEED), clock)
            story.world = world
    finally:
        event.remove(TicketEvent, "before_insert", stamp)
    return story


# ---------------------------------------------------------------- the recount of each ticket

FIGURES = ("status", "answered_at", "queue_wait_seconds", "handle_seconds", "agent_replies", "reopen_count",
           "resolved_at", "cancelled_at")


def _seconds(start: datetime, end: datetime) -> int:
    return max(0, round((end - start).total_seconds()))


def _value(v):
    return getattr(v, "value", v)


def recount_tickets() -> dict[int, dict]:
    """Each ticket's figures from its audit trail and messages alone, by docs/KPIS.md:

    - answered_at: when an agent first took it: an assignment (by hand, routing, an escalation),
      or, taken up with none, a member of staff's public reply or move to a working status;
    - queue_wait_seconds: created to answered; never answered and cancelled: created to cancelled;
    - resolved_at, handle_seconds: its last resolution, unless reopened since; from the answer
      (or creation, if it was never answered by then) to it;
    - reopen_count: moves from resolved or closed back to an open status;
    - agent_replies: the public messages of staff (internal notes do not count)."""
    out: dict[int, dict] = {}
    rows = db.session.execute(select(
        TicketEvent.ticket_id, TicketEvent.kind, TicketEvent.actor_kind, TicketEvent.field, TicketEvent.before,
        TicketEvent.after, TicketEvent.data, TicketEvent.created_at).order_by(TicketEvent.id)).all()
    for e in rows:
        f = out.setdefault(e.ticket_id, {"status": "new", "created": None, "answered_at": None, "resolved_at": None,
                                         "cancelled_at": None, "reopen_count": 0, "agent_replies": 0})
        staff = _value(e.actor_kind) == "agent"
        if e.kind == "created":
            f["created"] = e.created_at
        takes = (e.kind == "assigned"
                 or (e.kind == "message" and staff and not (e.data or {}).get("internal"))
                 or (e.field == "status" and staff and e.after not in ("new", "cancelled")))
        if takes and f["answered_at"] is None:
            f["answered_at"] = e.created_at
        if e.field == "status":
            if e.before in ("resolved", "closed") and e.after in OPEN:
                f["reopen_count"] += 1
                f["resolved_at"] = None
            if e.after == "resolved":
                f["resolved_at"] = e.created_at
            if e.after == "cancelled":
                f["cancelled_at"] = e.created_at
            f["status"] = e.after
    for ticket_id, author, internal in db.session.execute(
            select(TicketMessage.ticket_id, TicketMessage.author_kind, TicketMessage.internal)):
        if _value(author) == "agent" and not internal:
            out[ticket_id]["agent_replies"] += 1
    for f in out.values():
        created, answered, resolved, cancelled = f.pop("created"), f["answered_at"], f["resolved_at"], f["cancelled_at"]
        f["queue_wait_seconds"] = (_seconds(created, answered) if answered is not None
                                   else _seconds(created, cancelled) if cancelled is not None else None)
        start = answered if answered is not None and answered <= (resolved or answered) else created
        f["handle_seconds"] = _seconds(start, resolved) if resolved is not None else None
    return out


def kept_figures() -> dict[int, dict]:
    columns = [getattr(Ticket, name) for name in FIGURES]
    return {row[0]: dict(zip(FIGURES, (_value(v) for v in row[1:]), strict=True))
            for row in db.session.execute(select(Ticket.id, *columns))}


def test_each_tickets_kept_figures_equal_a_recount_of_its_event_log(app, story):
    with app.app_context():
        kept, recounted = kept_figures(), recount_tickets()
    assert sorted(kept) == sorted(story.ids) == sorted(recounted)
    wrong = []
    for ticket_id in story.ids:
        diffs = [f"{name}: kept {kept[ticket_id][name]!r}, recount {recounted[ticket_id][name]!r}"
                 for name in FIGURES if kept[ticket_id][name] != recounted[ticket_id][name]]
        if diffs:
            wrong.append(f"ticket {ticket_id}: " + "; ".join(diffs) + f"\n    story:\n      {story.told(ticket_id)}")
    assert not wrong, f"{len(wrong)} of {len(story.ids)} tickets keep figures their events do not give:\n" + \
        "\n".join(wrong)
    # The story reaches every case the figures tell apart (a seed that did not would prove less).
    figures = list(recounted.values())
    assert any(f["answered_at"] is None and f["cancelled_at"] is not None for f in figures), "no abandon"
    assert any(f["answered_at"] is not None and f["cancelled_at"] is not None for f in figures), "no cancel after an answer"
    assert any(f["answered_at"] is None and f["status"] == "new" for f in figures), "nobody still waiting"
    assert any(f["reopen_count"] and f["resolved_at"] is None for f in figures), "no reopened ticket still open"
    assert any(f["reopen_count"] and f["resolved_at"] is not None for f in figures), "no ticket resolved again"
    assert any(f["status"] == "closed" for f in figures), "no closed ticket"
    assert any(f["agent_replies"] >= 2 for f in figures), "no ticket with several replies"
    everything = "\n".join(line for lines in story.log.values() for line in lines)
    for what in ("transferred", "internal note", "customer writes", "survey answered", "callback call", "revisit call",
                 "boss replies, unassigned", "boss starts it, unassigned", "waits on the customer"):
        assert what in everything, f"the story never has: {what}"


# ---------------------------------------------------------------- the recount of each SLA clock

def _decision(history: list, target: float, end: datetime) -> tuple[str | None, datetime | None]:
    """A clock's outcome from its start/pause/resume/stop history (24x7: business time is wall
    time): met at its last stop when stopped within its target; breached at the instant its
    running time reached the target; open otherwise. Time used stays used across a restart."""
    used, since, stopped, crossed, last_stop = 0.0, None, False, None, None
    for instant, kind in sorted(((datetime.fromisoformat(i), k) for i, k in history), key=lambda e: e[0]):
        if kind == "start":
            stopped = False
        if kind in ("start", "resume") and since is None and not stopped:
            since = instant
        elif kind in ("pause", "stop") and since is not None:
            run = (instant - since).total_seconds()
            if crossed is None and used + run >= target:
                crossed = since + timedelta(seconds=target - used)
            used, since = used + run, None
        if kind == "stop":
            stopped, last_stop = True, instant
    if since is not None:
        run = (end - since).total_seconds()
        if crossed is None and used + run >= target:
            crossed = since + timedelta(seconds=target - used)
        used += run
    if stopped:
        return ("met", last_stop) if used <= target else ("breached", crossed)
    return ("breached", crossed) if used >= target else (None, None)


def test_each_sla_clocks_decision_equals_a_recount_of_its_history_and_its_breachs_firing(app, story):
    """decided_at from the clock's history (_decision); a breach fired in the clock's current
    cycle is dated (sla_fired.due_at) at that same instant."""
    with app.app_context():
        clocks = db.session.execute(select(SlaClock.id, SlaClock.ticket_id, SlaClock.name, SlaClock.calendar,
                                           SlaClock.target_seconds, SlaClock.history, SlaClock.state,
                                           SlaClock.decided_at, SlaClock.cycle)).all()
        breaches = {(r.clock_id, r.cycle): r.due_at for r in db.session.execute(
            select(SlaFired.clock_id, SlaFired.cycle, SlaFired.due_at).where(SlaFired.level == "breach"))}
    assert {c.calendar for c in clocks} == {"24x7"}
    wrong, outcomes, clocks_wrong = [], [], set()
    for c in clocks:
        state, decided_at = _decision(c.history, c.target_seconds, END)
        outcomes.append(state)
        kept = (c.state if c.state in ("met", "breached") else None, c.decided_at)
        if kept != (state, decided_at):
            clocks_wrong.add(c.id)
            wrong.append(f"clock {c.name} of ticket {c.ticket_id}: kept {kept}, recount {(state, decided_at)}, "
                         f"history {c.history}\n    story:\n      {story.told(c.ticket_id)}")
        # The firing of its breach in this cycle (the wallboard counts today's by it) says when it fell due.
        fired = breaches.get((c.id, c.cycle))
        if fired is not None and kept != ("breached", fired):
            clocks_wrong.add(c.id)
            wrong.append(f"clock {c.name} of ticket {c.ticket_id}: kept {kept}, but its breach fired as due at "
                         f"{fired} (sla_fired.due_at), history {c.history}\n    story:\n      {story.told(c.ticket_id)}")
    assert not wrong, f"{len(clocks_wrong)} of {len(clocks)} clocks disagree with their history:\n" + "\n".join(wrong)
    assert {"met", "breached", None} <= set(outcomes)


# ---------------------------------------------------------------- the summary against plain SQL

# benchmarks/kpi.py's statements, with the sum of handle times and summary()'s revisits added;
# FILTER (WHERE ...) runs on SQLite since 3.30 (this machine's is 3.40).
RECOUNT_TICKETS = """
SELECT count(*) FILTER (WHERE answered_at >= :s AND answered_at < :e) AS answered,
       count(*) FILTER (WHERE answered_at >= :s AND answered_at < :e AND queue_wait_seconds <= :threshold)
           AS answered_within_threshold,
       coalesce(sum(queue_wait_seconds) FILTER (WHERE answered_at >= :s AND answered_at < :e), 0) AS wait_sum,
       count(*) FILTER (WHERE answered_at IS NULL AND queue_wait_seconds IS NOT NULL
                          AND cancelled_at >= :s AND cancelled_at < :e) AS abandoned,
       count(*) FILTER (WHERE answered_at IS NULL AND queue_wait_seconds IS NOT NULL
                          AND cancelled_at >= :s AND cancelled_at < :e AND queue_wait_seconds < :short)
           AS short_abandoned,
       count(*) FILTER (WHERE status IN ('resolved', 'closed') AND resolved_at >= :s AND resolved_at < :e) AS resolved,
       coalesce(sum(handle_seconds) FILTER (WHERE status IN ('resolved', 'closed') AND resolved_at >= :s
                                            AND resolved_at < :e), 0) AS handle_sum,
       count(*) FILTER (WHERE status IN ('resolved', 'closed') AND resolved_at >= :s AND resolved_at < :e
                          AND reopen_count = 0 AND agent_replies <= 1) AS resolved_first_contact,
       count(*) FILTER (WHERE created_at >= :s AND created_at < :e AND reopen_count > 0) AS reopened,
       count(*) FILTER (WHERE created_at >= :s AND created_at < :e
                          AND (resolved_at IS NOT NULL OR reopen_count > 0)) AS ever_resolved,
       count(*) FILTER (WHERE status IN ('new', 'assigned', 'in_progress', 'pending_customer')) AS backlog
FROM tickets WHERE (CAST(:team AS integer) IS NULL OR team_id = :team)"""
RECOUNT_CLOCKS = """
SELECT count(*) AS sla_clocks_decided, count(*) FILTER (WHERE c.state = 'breached') AS sla_clocks_breached
FROM sla_clocks c JOIN tickets t ON t.id = c.ticket_id
WHERE c.state IN ('met', 'breached') AND c.decided_at >= :s AND c.decided_at < :e
  AND (CAST(:team AS integer) IS NULL OR t.team_id = :team)"""
RECOUNT_SURVEYS = """
SELECT count(*) AS surveys_answered FROM surveys v JOIN tickets t ON t.id = v.ticket_id
WHERE v.answered_at >= :s AND v.answered_at < :e AND (CAST(:team AS integer) IS NULL OR t.team_id = :team)"""
RECOUNT_CALLBACKS = """
SELECT count(*) FILTER (WHERE status = 'completed') AS callbacks_reached,
       count(*) FILTER (WHERE status = 'unreachable') AS callbacks_unreachable
FROM followups WHERE kind = 'callback' AND closed_at >= :s AND closed_at < :e
  AND (CAST(:team AS integer) IS NULL OR team_id = :team)"""
RECOUNT_REVISITS = """
SELECT count(*) AS revisits_reached FROM followup_attempts a JOIN followups f ON f.id = a.followup_id
WHERE f.kind = 'revisit' AND a.outcome = 'reached' AND a.created_at >= :s AND a.created_at < :e
  AND (CAST(:team AS integer) IS NULL OR f.team_id = :team)"""


def recount(start: datetime, end: datetime, team_id: int | None, rules: formulas.ServiceLevelRules) -> dict:
    params = {"s": start, "e": end, "team": team_id, "threshold": rules.threshold_seconds,
              "short": rules.short_abandon_seconds}
    out = {}
    for sql in (RECOUNT_TICKETS, RECOUNT_CLOCKS, RECOUNT_SURVEYS, RECOUNT_CALLBACKS, RECOUNT_REVISITS):
        stmt = text(sql).bindparams(bindparam("s", type_=UTCDateTime()), bindparam("e", type_=UTCDateTime()))
        out.update({k: int(v) for k, v in db.session.execute(stmt, params).mappings().one().items()})
    counted = out["answered"] + out["abandoned"] - out["short_abandoned"]  # docs/KPIS.md's defaults
    out["service_level"] = round(out["answered_within_threshold"] / counted, 4) if counted else None
    out["asa_seconds"] = round(out["wait_sum"] / out["answered"], 1) if out["answered"] else None
    return out


PERIODS = {"the whole story (four reads)": (BASE, END),
           "one day (one read)": (BASE + timedelta(days=1, hours=6), BASE + timedelta(days=2, hours=6))}


def test_the_summarys_counts_equal_a_plain_sql_recount_for_all_teams_and_for_one(app, story):
    world = story.world
    with app.app_context():
        rules = formulas.rules_from(app.config)
        assert (rules.count_abandons, rules.count_short_abandons) == (True, False)  # recount's service level
        boss = actor_of(world, "boss")
        wrong, whole = [], None
        for period, (start, end) in PERIODS.items():
            for team in (None, "Billing"):
                s = summary(boss, start, end, END, rules, team=team)
                mine = recount(start, end, world.teams[team] if team else None, rules)
                theirs = {**s["counts"], "backlog": s["backlog"], "service_level": s["service_level"],
                          "asa_seconds": s["asa_seconds"], "wait_sum": s["metrics"]["asa_seconds"]["numerator"],
                          "handle_sum": s["metrics"]["aht_seconds"]["numerator"]}
                assert set(theirs) == set(mine), "a count of the summary this test does not recount"
                diffs = [f"{k}: summary {theirs[k]}, recount {mine[k]}" for k in mine if theirs[k] != mine[k]]
                if diffs:
                    wrong.append(f"{period}, {team or 'all teams'}: " + "; ".join(diffs))
                if team is None and end == END:
                    whole = mine
                db.session.rollback()
    assert not wrong, "\n".join(wrong)
    # Every count is exercised by the story: a zero would agree without proving anything.
    assert not [k for k, v in whole.items() if not v], f"the story gives none of: {[k for k, v in whole.items() if not v]}"
