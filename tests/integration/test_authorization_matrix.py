"""Who may do what: every route of the URL map and every operation of the OpenAPI document, as
each kind of caller. Each cell has an expected answer; a route nobody listed fails the test.

Callers: anonymous; a customer holding one ticket's status link; an agent of the ticket's team
(Billing); an agent of another team; an agent in no team; a supervisor; an admin; a bad token;
a revoked token. Every caller starts from the same scene (rebuilt for each), and requests are
valid, so "allowed" shows as a success and "refused" as 401, 403 or the sign-in page.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Callable

import pytest

from callcenter.actions import accounts, directory, tickets
from callcenter.actors import Actor
from callcenter.auth import services as auth
from callcenter.auth.models import User
from callcenter.db_types import utcnow
from callcenter.extensions import db
from callcenter.routing.models import Offer, OfferStatus
from callcenter.sla.models import SlaCalendar, SlaPolicy
from callcenter.tickets import access
from tests import factories
from tests.conftest import _truncate_all
from tests.factories import csrf_from, login, ticket_body

CALLERS = ("anonymous", "customer", "agent_team", "agent_other", "agent_none", "supervisor", "admin",
           "bad_token", "revoked_token")
STAFF = {"agent_team", "agent_other", "agent_none", "supervisor", "admin"}
TEAM = {"agent_team", "supervisor", "admin"}  # may see the Billing ticket
SUPERVISORS = {"supervisor", "admin"}
ADMINS = {"admin"}
EVERYONE = set(CALLERS)
WHO = {"agent_team": "anna", "agent_other": "nina", "agent_none": "solo", "supervisor": "boss", "admin": "admin"}


@dataclass
class Scene:
    ids: dict
    tokens: dict


def _scene(app) -> Scene:
    """The same desk for every caller: a Billing ticket and its customer, a web ticket with a
    suggested match, an offer to anna, a rule, a policy, a calendar, a spare token."""
    with app.app_context():
        _truncate_all()
        db.session.remove()
    app.extensions["callcenter.redis"].flushdb()
    with app.app_context():
        world = factories.build_world()
        solo = factories.make_user("solo@test.cc", "agent", [], skills={})
        world.users["solo"], world.tokens["solo"] = solo.id, accounts.create_token(solo)
        revoked = accounts.create_token(db.session.get(User, world.id("anna")), "to revoke")
        accounts.revoke_token(auth.tokens(world.id("anna"))[-1].id)
        spare = accounts.create_token(db.session.get(User, world.id("bert")), "spare")
        boss = Actor.of_user(db.session.get(User, world.id("boss")))
        ids = {name: world.id(name) for name in ("anna", "nina", "bert", "solo", "boss", "admin")}
        for n, name in enumerate(("view", "patch", "assign", "transition", "message", "promise", "settle", "link",
                                  "desk_assign", "desk_transition", "desk_message", "desk_promise", "desk_kept")):
            body = ticket_body(subject=name, customer={"name": f"客户 {name}", "phone": f"1390000{n:04d}"})
            ticket, _ = tickets.create_ticket(body, boss, with_status_link=True)
            ids[name] = ticket.id
            if name == "view":
                ids["status_token"] = ticket.status_token
                ids["customer"] = ticket.customer_id
        for name in ("settle", "desk_kept"):
            ids[f"{name}_promise"] = tickets.add_promise(ids[name], "call back", utcnow() + timedelta(days=1), boss).id
        for name in ("match", "desk_match"):  # a web ticket holding the phone of the 'view' customer
            web, _ = tickets.create_ticket(ticket_body(subject=f"web {name}", customer={
                "name": "someone", "phone": "13900000000"}), Actor.customer("someone"))  # the 'view' customer's
            ids[name] = web.id
            ids[f"{name}_match"] = access.pending_matches(web.id)[0].id
        erase, _ = tickets.create_ticket(ticket_body(subject="erase me", customer={"name": "E", "phone": "13700000001"}),
                                         boss)
        ids["erase_customer"] = erase.customer_id
        offer_ticket, _ = tickets.create_ticket(ticket_body(subject="offered"), boss)
        for name in ("offer_accept", "offer_reject", "desk_offer"):
            offer = Offer(ticket_id=offer_ticket.id if name == "offer_accept" else tickets.create_ticket(
                ticket_body(subject=name), boss)[0].id, agent_id=ids["anna"], status=OfferStatus.pending,
                offered_at=utcnow(), expires_at=utcnow() + timedelta(minutes=5))
            db.session.add(offer)
            db.session.commit()
            ids[name] = offer.id
        from callcenter.routing.models import RoutingRule

        rule = RoutingRule(name="r", match={"kind": "complaint"}, skills={"billing": 1}, position=5)
        page_rule = RoutingRule(name="page", match={"kind": "complaint"}, skills={"billing": 1}, position=6)
        doomed_rule = RoutingRule(name="doomed", match={"kind": "inquiry"}, skills={}, position=7)
        db.session.add_all([rule, page_rule, doomed_rule])
        policy = SlaPolicy(name="p", match={}, calendar="24x7", position=50,
                           targets={"first_response_seconds": 3600, "resolution_seconds": 7200})
        calendar = SlaCalendar(name="Office", tz="Asia/Shanghai", weekly={"0": "09:00-18:00"}, extra_closed=[],
                               extra_open={})
        doomed_policies = [SlaPolicy(name=f"doomed {n}", match={}, calendar="24x7", position=90 + n,
                                     targets={"first_response_seconds": 3600, "resolution_seconds": 7200})
                           for n in range(2)]
        db.session.add_all([policy, calendar, *doomed_policies])
        db.session.commit()
        ids.update(doomed_rule=doomed_rule.id, doomed_policy=doomed_policies[0].id,
                   doomed_page_policy=doomed_policies[1].id)
        ids["password_token"] = directory.reset_password(world.id("nina"), Actor.of_user(
            db.session.get(User, world.id("admin"))))[1]
        ids.update(rule=rule.id, page_rule=page_rule.id, policy=policy.id, calendar=calendar.id, team=world.teams["Billing"],
                   spare_token=auth.tokens(world.id("bert"))[-1].id)
        ids.update(_followups(ids))
        ids.update(_canned(boss_id=world.id("admin")))
        ids.update(_subscriptions(ids))
        tokens = {**world.tokens, "revoked": revoked, "spare": spare}
    return Scene(ids, tokens)


def _subscriptions(ids: dict) -> dict:
    """A report subscription of the boss's and one of the admin's: each stops only their own."""
    from callcenter.actions import report_subscriptions

    return {f"subscription:{who}": report_subscriptions.subscribe(
        Actor.of_user(db.session.get(User, ids[who])), "daily", None).id for who in ("boss", "admin")}


def _followups(ids: dict) -> dict:
    """Callbacks and revisits on the Billing ticket: one to read, and one held by anna for each
    thing done to one (every caller starts from the same scene)."""
    from callcenter.followups.models import FollowUp, FollowUpKind, FollowUpStatus, Survey
    from callcenter.followups.service import survey_token

    start = utcnow() + timedelta(hours=1)
    made = {}
    for name, kind, held in (("cb_view", FollowUpKind.callback, False), ("cb_attempt", FollowUpKind.callback, True),
                             ("cb_decline", FollowUpKind.callback, True), ("cb_cancel", FollowUpKind.callback, False),
                             ("rv_view", FollowUpKind.revisit, False), ("rv_attempt", FollowUpKind.revisit, True),
                             ("rv_decline", FollowUpKind.revisit, True)):
        row = FollowUp(kind=kind, ticket_id=ids["view"], name="客户", phone="13900000000", phone_norm="13900000000",
                       window_start=start, window_end=start + timedelta(hours=1), next_attempt_at=start,
                       status=FollowUpStatus.assigned if held else FollowUpStatus.scheduled,
                       assignee_id=ids["anna"] if held else None, round=len(made) + 1, declined_by=[])  # one revisit a round
        db.session.add(row)
        db.session.flush()
        made[name] = row.id
    survey = Survey(ticket_id=ids["view"], nonce="0123456789abcdef", expires_at=utcnow() + timedelta(days=14))
    db.session.add(survey)
    db.session.commit()
    made["survey_token"] = survey_token(survey)
    return made


def _canned(boss_id: int) -> dict:
    """Two site-wide canned responses (every staff member uses them, admins manage them): one to
    edit, one to delete."""
    from callcenter.actions import replies

    admin = Actor.of_user(db.session.get(User, boss_id))
    return {name: replies.create_canned({"scope": "site", "shortcut": name.replace("_", "-"), "language": "zh",
                                         "title": name, "body": "您好，{customer_name}"}, admin).id
            for name in ("canned_edit", "canned_delete")}


@dataclass(frozen=True)
class Case:
    method: str
    rule: str
    allowed: frozenset
    path: Callable[[dict], str]
    body: Callable[[dict, str], dict] | None = None
    form: Callable[[dict, str], dict] | None = None
    ok: str = "ok"  # what success looks like (signing out ends on the sign-in page)


def case(method, rule, allowed, path, body=None, form=None, ok="ok"):
    return Case(method, rule, frozenset(allowed), path, body, form, ok)


def _assignee(ids, caller):
    return ids["anna"] if caller in SUPERVISORS else ids[WHO.get(caller, "anna")]


_CAL = {"name": "Office 2", "tz": "Asia/Shanghai", "weekly": {"0": "09:00-18:00"}}
_POLICY = {"name": "q", "match": {}, "calendar": "24x7", "targets": {"first_response_seconds": 60,
                                                                     "resolution_seconds": 600}}
_RULE = {"name": "x", "match": {"kind": "inquiry"}, "skills": {"billing": 1}}
_due = lambda: (utcnow() + timedelta(days=2)).isoformat()  # noqa: E731


def _window_value() -> str:
    from callcenter.followups.windows import window_value

    start = (utcnow() + timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
    return window_value(start, start + timedelta(hours=1))


def _callback() -> dict:
    start = utcnow() + timedelta(hours=2)
    return {"phone": "13900000001", "name": "x", "window_start": start.isoformat(),
            "window_end": (start + timedelta(hours=1)).isoformat()}

A = "/api/v1"
CASES = [
    # ------------------------------------------------------------------ API
    case("GET", A + "/tickets", STAFF, lambda i: A + "/tickets"),
    case("POST", A + "/tickets", STAFF, lambda i: A + "/tickets", lambda i, c: ticket_body(subject=f"by {c}")),
    case("GET", A + "/tickets/<ticket_id>", TEAM, lambda i: f"{A}/tickets/{i['view']}"),
    case("PATCH", A + "/tickets/<ticket_id>", TEAM, lambda i: f"{A}/tickets/{i['patch']}", lambda i, c: {"priority": "P2"}),
    case("POST", A + "/tickets/<ticket_id>/assign", TEAM, lambda i: f"{A}/tickets/{i['assign']}/assign",
         lambda i, c: {"agent_id": _assignee(i, c)}),
    case("POST", A + "/tickets/<ticket_id>/transitions", TEAM, lambda i: f"{A}/tickets/{i['transition']}/transitions",
         lambda i, c: {"to": "in_progress"}),
    case("GET", A + "/tickets/<ticket_id>/messages", TEAM, lambda i: f"{A}/tickets/{i['view']}/messages"),
    case("POST", A + "/tickets/<ticket_id>/messages", TEAM, lambda i: f"{A}/tickets/{i['message']}/messages",
         lambda i, c: {"body": "hello"}),
    case("GET", A + "/tickets/<ticket_id>/events", TEAM, lambda i: f"{A}/tickets/{i['view']}/events"),
    case("POST", A + "/tickets/<ticket_id>/promises", TEAM, lambda i: f"{A}/tickets/{i['promise']}/promises",
         lambda i, c: {"description": "call", "due_at": _due()}),
    case("POST", A + "/tickets/<ticket_id>/promises/<promise_id>", TEAM,
         lambda i: f"{A}/tickets/{i['settle']}/promises/{i['settle_promise']}", lambda i, c: {"outcome": "kept"}),
    case("GET", A + "/tickets/<ticket_id>/customer-matches", TEAM, lambda i: f"{A}/tickets/{i['match']}/customer-matches"),
    case("POST", A + "/tickets/<ticket_id>/customer-matches/<match_id>", TEAM,
         lambda i: f"{A}/tickets/{i['match']}/customer-matches/{i['match_match']}", lambda i, c: {"decision": "reject"}),
    case("GET", A + "/agents", STAFF, lambda i: A + "/agents"),
    case("PUT", A + "/agents/<agent_id>/presence", {"agent_team", "supervisor", "admin"},
         lambda i: f"{A}/agents/{i['anna']}/presence", lambda i, c: {"state": "away"}),
    case("PUT", A + "/agents/<agent_id>/teams", ADMINS, lambda i: f"{A}/agents/{i['bert']}/teams",
         lambda i, c: {"teams": ["Billing"]}),
    case("GET", A + "/teams", STAFF, lambda i: A + "/teams"),
    case("PATCH", A + "/teams/<team_id>", ADMINS, lambda i: f"{A}/teams/{i['team']}", lambda i, c: {"offer_mode": False}),
    case("GET", A + "/categories", STAFF, lambda i: A + "/categories"),
    case("GET", A + "/customers", STAFF, lambda i: A + "/customers"),
    case("GET", A + "/customers/matches", STAFF, lambda i: A + "/customers/matches?phone=13900000000"),
    case("GET", A + "/customers/<customer_id>", TEAM, lambda i: f"{A}/customers/{i['customer']}"),
    case("PATCH", A + "/customers/<customer_id>", SUPERVISORS, lambda i: f"{A}/customers/{i['customer']}",
         lambda i, c: {"tier": "A"}),
    case("GET", A + "/customers/<customer_id>/export", ADMINS, lambda i: f"{A}/customers/{i['customer']}/export"),
    case("POST", A + "/customers/<customer_id>/erase", ADMINS, lambda i: f"{A}/customers/{i['erase_customer']}/erase",
         lambda i, c: {}),
    case("GET", A + "/offers", STAFF, lambda i: A + "/offers"),
    case("POST", A + "/offers/<offer_id>/accept", {"agent_team"}, lambda i: f"{A}/offers/{i['offer_accept']}/accept",
         lambda i, c: {}),
    case("POST", A + "/offers/<offer_id>/reject", {"agent_team"}, lambda i: f"{A}/offers/{i['offer_reject']}/reject",
         lambda i, c: {}),
    case("GET", A + "/queue", SUPERVISORS, lambda i: A + "/queue"),
    case("GET", A + "/routing-rules", SUPERVISORS, lambda i: A + "/routing-rules"),
    case("POST", A + "/routing-rules", ADMINS, lambda i: A + "/routing-rules", lambda i, c: _RULE),
    case("PUT", A + "/routing-rules/<rule_id>", ADMINS, lambda i: f"{A}/routing-rules/{i['rule']}", lambda i, c: _RULE),
    case("DELETE", A + "/routing-rules/<rule_id>", ADMINS, lambda i: f"{A}/routing-rules/{i['rule']}"),
    case("GET", A + "/sla-policies", SUPERVISORS, lambda i: A + "/sla-policies"),
    case("POST", A + "/sla-policies", ADMINS, lambda i: A + "/sla-policies", lambda i, c: _POLICY),
    case("PUT", A + "/sla-policies/<policy_id>", ADMINS, lambda i: f"{A}/sla-policies/{i['policy']}", lambda i, c: _POLICY),
    case("GET", A + "/sla-calendars", SUPERVISORS, lambda i: A + "/sla-calendars"),
    case("POST", A + "/sla-calendars", ADMINS, lambda i: A + "/sla-calendars", lambda i, c: _CAL),
    case("GET", A + "/sla-calendars/<calendar_id>", SUPERVISORS, lambda i: f"{A}/sla-calendars/{i['calendar']}"),
    case("PUT", A + "/sla-calendars/<calendar_id>", ADMINS, lambda i: f"{A}/sla-calendars/{i['calendar']}",
         lambda i, c: {**_CAL, "name": "Office"}),
    case("GET", A + "/kpi/sla-board", SUPERVISORS, lambda i: A + "/kpi/sla-board"),
    case("GET", A + "/kpi/followups", SUPERVISORS, lambda i: A + "/kpi/followups"),
    case("GET", A + "/kpi/summary", SUPERVISORS, lambda i: A + "/kpi/summary"),
    case("GET", A + "/kpi/metrics/<name>", SUPERVISORS, lambda i: A + "/kpi/metrics/service_level"),
    case("GET", A + "/kpi/staffing", SUPERVISORS, lambda i: A + "/kpi/staffing?arrivals=100&aht_seconds=180"),
    case("POST", A + "/callbacks", STAFF, lambda i: A + "/callbacks", lambda i, c: _callback()),
    case("GET", A + "/callbacks", STAFF, lambda i: A + "/callbacks"),
    case("GET", A + "/callbacks/slots", STAFF, lambda i: A + "/callbacks/slots"),
    case("GET", A + "/callbacks/<followup_id>", TEAM, lambda i: f"{A}/callbacks/{i['cb_view']}"),
    case("POST", A + "/callbacks/<followup_id>/attempts", TEAM, lambda i: f"{A}/callbacks/{i['cb_attempt']}/attempts",
         lambda i, c: {"outcome": "reached"}),
    case("POST", A + "/callbacks/<followup_id>/decline", TEAM, lambda i: f"{A}/callbacks/{i['cb_decline']}/decline",
         lambda i, c: {}),
    case("POST", A + "/callbacks/<followup_id>/cancel", TEAM, lambda i: f"{A}/callbacks/{i['cb_cancel']}/cancel",
         lambda i, c: {}),
    case("GET", A + "/revisits", STAFF, lambda i: A + "/revisits"),
    case("GET", A + "/revisits/<followup_id>", TEAM, lambda i: f"{A}/revisits/{i['rv_view']}"),
    case("POST", A + "/revisits/<followup_id>/attempts", TEAM, lambda i: f"{A}/revisits/{i['rv_attempt']}/attempts",
         lambda i, c: {"outcome": "reached", "solved": True, "score": 5}),
    case("POST", A + "/revisits/<followup_id>/decline", TEAM, lambda i: f"{A}/revisits/{i['rv_decline']}/decline",
         lambda i, c: {}),
    case("GET", A + "/followup-policy", SUPERVISORS, lambda i: A + "/followup-policy"),
    case("PUT", A + "/followup-policy", ADMINS, lambda i: A + "/followup-policy", lambda i, c: {"max_attempts": 4}),
    case("GET", A + "/openapi.json", EVERYONE, lambda i: A + "/openapi.json"),
    # ------------------------------------------------------------------ public pages
    case("GET", "/", EVERYONE, lambda i: "/"),
    case("GET", "/healthz", EVERYONE, lambda i: "/healthz"),
    case("GET", "/metrics", EVERYONE, lambda i: "/metrics"),  # counts only; METRICS_TOKEN closes it (test_metrics)
    case("GET", "/login", EVERYONE, lambda i: "/login"),
    case("POST", "/login", EVERYONE, lambda i: "/login", form=lambda i, c: {"email": "nobody@x.cc", "password": "x"}),
    case("GET", "/lang/<code>", EVERYONE, lambda i: "/lang/en"),
    case("GET", "/submit", EVERYONE, lambda i: "/submit"),
    case("POST", "/submit", EVERYONE, lambda i: "/submit", form=lambda i, c: {
        "kind": "inquiry", "name": "访客", "phone": "13911110000", "category": "billing", "subject": "hi",
        "description": "a question for you"}),
    case("GET", "/t/<token>", EVERYONE, lambda i: f"/t/{i['status_token']}"),
    case("POST", "/t/<token>/reply", EVERYONE, lambda i: f"/t/{i['status_token']}/reply",
         form=lambda i, c: {"body": "thanks"}),
    case("POST", "/t/<token>/callback", EVERYONE, lambda i: f"/t/{i['status_token']}/callback",
         form=lambda i, c: {"window": _window_value(), "phone": "13900000000", "note": ""}),
    case("GET", "/s/<token>", EVERYONE, lambda i: f"/s/{i['survey_token']}"),
    case("POST", "/s/<token>", EVERYONE, lambda i: f"/s/{i['survey_token']}",
         form=lambda i, c: {"csat": "4", "nps": "8", "comment": ""}),
    case("GET", "/t/lost", EVERYONE, lambda i: "/t/lost"),
    case("POST", "/t/lost", EVERYONE, lambda i: "/t/lost", form=lambda i, c: {"reference": "CC-2026-000001",
                                                                             "contact": "13900000000"}),
    case("GET", "/static/<filename>", EVERYONE, lambda i: "/static/app.css"),
    # ------------------------------------------------------------------ staff pages
    case("GET", "/desk/", STAFF, lambda i: "/desk/"),
    case("GET", "/desk/phone", STAFF, lambda i: "/desk/phone"),
    case("POST", "/desk/phone", STAFF, lambda i: "/desk/phone", form=lambda i, c: {
        "kind": "inquiry", "name": "来电", "phone": "13800009999", "email": "", "category": "billing",
        "language": "zh", "priority": "", "severity": "", "subject": "call", "description": "a caller asked"}),
    case("POST", "/desk/presence", STAFF, lambda i: "/desk/presence",
         form=lambda i, c: {"state": "away"}),
    case("GET", "/desk/tickets/<ticket_id>", TEAM, lambda i: f"/desk/tickets/{i['view']}"),
    case("POST", "/desk/tickets/<ticket_id>/assign", TEAM, lambda i: f"/desk/tickets/{i['desk_assign']}/assign",
         form=lambda i, c: {"agent_id": str(_assignee(i, c)), **({} if c in SUPERVISORS else {"take": "1"})}),
    case("POST", "/desk/tickets/<ticket_id>/transition", TEAM, lambda i: f"/desk/tickets/{i['desk_transition']}/transition",
         form=lambda i, c: {"to": "in_progress"}),
    case("POST", "/desk/tickets/<ticket_id>/messages", TEAM, lambda i: f"/desk/tickets/{i['desk_message']}/messages",
         form=lambda i, c: {"body": "hello"}),
    case("POST", "/desk/tickets/<ticket_id>/promises", TEAM, lambda i: f"/desk/tickets/{i['desk_promise']}/promises",
         form=lambda i, c: {"description": "call", "due_at": (utcnow() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")}),
    case("POST", "/desk/tickets/<ticket_id>/promises/<promise_id>/<outcome>", TEAM,
         lambda i: f"/desk/tickets/{i['desk_kept']}/promises/{i['desk_kept_promise']}/kept", form=lambda i, c: {}),
    case("POST", "/desk/tickets/<ticket_id>/customer-matches/<match_id>/<decision>", TEAM,
         lambda i: f"/desk/tickets/{i['desk_match']}/customer-matches/{i['desk_match_match']}/reject", form=lambda i, c: {}),
    case("POST", "/desk/tickets/<ticket_id>/status-link", TEAM, lambda i: f"/desk/tickets/{i['link']}/status-link",
         form=lambda i, c: {}),
    case("POST", "/desk/offers/<offer_id>/<answer>", {"agent_team"}, lambda i: f"/desk/offers/{i['desk_offer']}/reject",
         form=lambda i, c: {}),
    case("GET", "/desk/customers/<customer_id>", TEAM, lambda i: f"/desk/customers/{i['customer']}"),
    case("POST", "/desk/customers/<customer_id>/do-not-call", TEAM,
         lambda i: f"/desk/customers/{i['customer']}/do-not-call", form=lambda i, c: {"do_not_call": "21:00-08:00"}),
    case("GET", "/desk/fragments/queue", STAFF, lambda i: "/desk/fragments/queue"),
    case("GET", "/desk/next", STAFF, lambda i: "/desk/next"),
    case("POST", "/desk/bulk", STAFF, lambda i: "/desk/bulk",  # each ticket then by its own rules
         form=lambda i, c: {"action": "status", "to": "in_progress", "ticket_ids": str(i["desk_transition"])}),
    case("GET", "/desk/tickets/<ticket_id>/conversation", TEAM, lambda i: f"/desk/tickets/{i['view']}/conversation"),
    case("POST", A + "/calls", STAFF, lambda i: f"{A}/calls", lambda i, c: {"caller": "13900000000"}),
    case("GET", "/desk/canned", STAFF, lambda i: "/desk/canned"),
    case("POST", "/desk/canned", STAFF, lambda i: "/desk/canned", form=lambda i, c: {
        "where": "personal", "title": "mine", "shortcut": "mine", "language": "zh", "body": "好的"}),
    case("GET", "/desk/canned/<response_id>/edit", ADMINS, lambda i: f"/desk/canned/{i['canned_edit']}/edit"),
    case("POST", "/desk/canned/<response_id>/edit", ADMINS, lambda i: f"/desk/canned/{i['canned_edit']}/edit",
         form=lambda i, c: {"where": "site", "title": "edited", "shortcut": "canned-edit", "language": "zh",
                            "body": "您好"}),
    case("POST", "/desk/canned/<response_id>/delete", ADMINS, lambda i: f"/desk/canned/{i['canned_delete']}/delete",
         form=lambda i, c: {}),
    case("GET", "/desk/canned/for/<ticket_id>", TEAM, lambda i: f"/desk/canned/for/{i['view']}"),
    case("GET", "/desk/agents", SUPERVISORS, lambda i: "/desk/agents"),
    case("GET", "/desk/agents/rows", SUPERVISORS, lambda i: "/desk/agents/rows"),
    case("POST", "/desk/agents/<agent_id>/presence", SUPERVISORS, lambda i: f"/desk/agents/{i['bert']}/presence",
         form=lambda i, c: {"state": "away"}),
    case("POST", "/desk/agents/tickets/<ticket_id>/reassign", SUPERVISORS,
         lambda i: f"/desk/agents/tickets/{i['desk_assign']}/reassign", form=lambda i, c: {"agent_id": str(i["bert"])}),
    case("GET", "/desk/followups", STAFF, lambda i: "/desk/followups"),
    case("GET", "/desk/followups/lists", STAFF, lambda i: "/desk/followups/lists"),
    case("POST", "/desk/followups/<followup_id>/attempts", TEAM, lambda i: f"/desk/followups/{i['cb_attempt']}/attempts",
         form=lambda i, c: {"outcome": "busy", "note": ""}),
    case("POST", "/desk/followups/<followup_id>/decline", TEAM, lambda i: f"/desk/followups/{i['cb_decline']}/decline",
         form=lambda i, c: {}),
    case("POST", "/desk/followups/<followup_id>/cancel", SUPERVISORS,
         lambda i: f"/desk/followups/{i['cb_cancel']}/cancel", form=lambda i, c: {}),
    case("POST", "/desk/tickets/<ticket_id>/callbacks", TEAM, lambda i: f"/desk/tickets/{i['view']}/callbacks",
         form=lambda i, c: {"slot": _window_value(), "phone": "13900000000", "note": ""}),
    case("GET", "/admin/followups", SUPERVISORS, lambda i: "/admin/followups"),
    case("POST", "/admin/followups", ADMINS, lambda i: "/admin/followups", form=lambda i, c: {"max_attempts": "4"}),
    case("POST", "/desk/customers/<customer_id>/tier", SUPERVISORS, lambda i: f"/desk/customers/{i['customer']}/tier",
         form=lambda i, c: {"tier": "B"}),
    case("GET", "/desk/customers/<customer_id>/export.<fmt>", ADMINS, lambda i: f"/desk/customers/{i['customer']}/export.json"),
    case("GET", "/desk/customers/<customer_id>/erase", ADMINS, lambda i: f"/desk/customers/{i['erase_customer']}/erase"),
    case("POST", "/desk/customers/<customer_id>/erase", ADMINS, lambda i: f"/desk/customers/{i['erase_customer']}/erase",
         form=lambda i, c: {"confirm": "yes"}),
    case("GET", "/desk/queue", SUPERVISORS, lambda i: "/desk/queue"),
    case("GET", "/desk/routing-rules", SUPERVISORS, lambda i: "/desk/routing-rules"),
    case("GET", "/desk/routing-rules/new", ADMINS, lambda i: "/desk/routing-rules/new"),
    case("POST", "/desk/routing-rules/new", ADMINS, lambda i: "/desk/routing-rules/new", form=lambda i, c: {
        "name": "page rule", "kind": "complaint", "skills": "billing:2", "position": "10"}),
    case("GET", "/desk/routing-rules/<rule_id>", SUPERVISORS, lambda i: f"/desk/routing-rules/{i['page_rule']}"),
    case("POST", "/desk/routing-rules/<rule_id>", ADMINS, lambda i: f"/desk/routing-rules/{i['page_rule']}", form=lambda i, c: {
        "name": "page rule", "kind": "complaint", "skills": "billing:2", "position": "10"}),
    case("GET", "/desk/sla-policies", SUPERVISORS, lambda i: "/desk/sla-policies"),
    case("GET", "/desk/sla-policies/new", ADMINS, lambda i: "/desk/sla-policies/new"),
    case("POST", "/desk/sla-policies/new", ADMINS, lambda i: "/desk/sla-policies/new", form=lambda i, c: {
        "name": "page policy", "calendar": "24x7", "first_response_minutes": "30", "resolution_minutes": "240",
        "position": "20", "warn_at": "75,90"}),
    case("GET", "/desk/sla-policies/<policy_id>", SUPERVISORS, lambda i: f"/desk/sla-policies/{i['policy']}"),
    case("POST", "/desk/sla-policies/<policy_id>", ADMINS, lambda i: f"/desk/sla-policies/{i['policy']}", form=lambda i, c: {
        "name": "p", "calendar": "24x7", "first_response_minutes": "30", "resolution_minutes": "240",
        "position": "20", "warn_at": "75,90"}),
    case("GET", "/desk/sla-calendars/new", ADMINS, lambda i: "/desk/sla-calendars/new"),
    case("POST", "/desk/sla-calendars/new", ADMINS, lambda i: "/desk/sla-calendars/new", form=lambda i, c: {
        "name": "Page office", "tz": "Asia/Shanghai", "country": "", "day_0": "09:00-18:00", "extra_closed": "",
        "extra_open": "", **{f"day_{d}": "" for d in range(1, 7)}}),
    case("GET", "/desk/sla-calendars/<calendar_id>", SUPERVISORS, lambda i: f"/desk/sla-calendars/{i['calendar']}"),
    case("POST", "/desk/sla-calendars/<calendar_id>", ADMINS, lambda i: f"/desk/sla-calendars/{i['calendar']}",
         form=lambda i, c: {"name": "Office", "tz": "Asia/Shanghai", "country": "", "day_0": "09:00-17:00",
                            "extra_closed": "", "extra_open": "", **{f"day_{d}": "" for d in range(1, 7)}}),
    case("GET", "/desk/tokens", ADMINS, lambda i: "/desk/tokens"),
    case("POST", "/desk/tokens/<token_id>/revoke", ADMINS, lambda i: f"/desk/tokens/{i['spare_token']}/revoke",
         form=lambda i, c: {}),
    case("GET", "/desk/outbox", ADMINS, lambda i: "/desk/outbox"),
    case("GET", "/wallboard", SUPERVISORS, lambda i: "/wallboard"),
    case("GET", "/wallboard/panel", SUPERVISORS, lambda i: "/wallboard/panel"),
    case("GET", "/wallboard/screen", SUPERVISORS, lambda i: "/wallboard/screen"),
    case("GET", "/wallboard/staffing", SUPERVISORS, lambda i: "/wallboard/staffing"),
    case("GET", "/admin/wallboard", SUPERVISORS, lambda i: "/admin/wallboard"),
    case("POST", "/admin/wallboard", ADMINS, lambda i: "/admin/wallboard",
         form=lambda i, c: {"waiting.warn": "3", "waiting.bad": "9"}),
    case("GET", "/reports", SUPERVISORS, lambda i: "/reports"),
    case("GET", "/reports/export.csv", SUPERVISORS, lambda i: "/reports/export.csv"),
    case("GET", "/reports/export.xlsx", SUPERVISORS, lambda i: "/reports/export.xlsx"),
    case("GET", "/reports/subscriptions", SUPERVISORS, lambda i: "/reports/subscriptions"),
    case("POST", "/reports/subscriptions", SUPERVISORS, lambda i: "/reports/subscriptions"),
    # one's own subscription (another's is 404): the scene gives the boss and the admin one each
    case("POST", "/reports/subscriptions/<subscription_id>/delete", SUPERVISORS,
         lambda i, c: f"/reports/subscriptions/{i['subscription:' + (WHO[c] if c in SUPERVISORS else 'boss')]}/delete"),
    # Setting up the desk (admins); the skills catalogue is read by every staff member.
    case("GET", A + "/users", ADMINS, lambda i: A + "/users"),
    case("POST", A + "/users", ADMINS, lambda i: A + "/users",
         lambda i, c: {"email": f"new-{c}@test.cc", "name": "New", "role": "agent", "teams": ["Billing"]}),
    case("PATCH", A + "/users/<user_id>", ADMINS, lambda i: f"{A}/users/{i['bert']}", lambda i, c: {"capacity": 4}),
    case("POST", A + "/users/<user_id>/password-link", ADMINS, lambda i: f"{A}/users/{i['bert']}/password-link"),
    case("POST", A + "/users/<user_id>/reactivate", ADMINS, lambda i: f"{A}/users/{i['solo']}/reactivate"),
    case("POST", A + "/teams", ADMINS, lambda i: A + "/teams", lambda i, c: {"name": f"Team {c}"}),
    case("GET", A + "/skills", STAFF, lambda i: A + "/skills"),
    case("POST", A + "/skills", ADMINS, lambda i: A + "/skills",
         lambda i, c: {"code": f"s-{c}", "name_zh": "技能", "name_en": "Skill"}),
    case("PUT", A + "/skills/<code>", ADMINS, lambda i: A + "/skills/billing",
         lambda i, c: {"name_zh": "账单", "name_en": "Billing"}),
    case("POST", A + "/categories", ADMINS, lambda i: A + "/categories",
         lambda i, c: {"code": f"c-{c}", "name_zh": "类", "name_en": "Kind", "team": "Billing"}),
    case("PUT", A + "/categories/<code>", ADMINS, lambda i: A + "/categories/other",
         lambda i, c: {"name_zh": "其他", "name_en": "Other"}),
    case("GET", A + "/setup-log", ADMINS, lambda i: A + "/setup-log"),
    case("GET", "/admin/users", ADMINS, lambda i: "/admin/users"),
    case("GET", "/admin/users/new", ADMINS, lambda i: "/admin/users/new"),
    case("POST", "/admin/users/new", ADMINS, lambda i: "/admin/users/new", form=lambda i, c: {
        "email": f"page-{c}@test.cc", "name": "Page", "role": "agent", "languages": "zh", "capacity": "5"}),
    case("GET", "/admin/users/<user_id>", ADMINS, lambda i: f"/admin/users/{i['bert']}"),
    case("POST", "/admin/users/<user_id>", ADMINS, lambda i: f"/admin/users/{i['bert']}", form=lambda i, c: {
        "name": "Bert", "role": "agent", "teams": "Billing", "skill:billing": "3", "languages": "zh",
        "capacity": "5"}),
    case("POST", "/admin/users/<user_id>/password-link", ADMINS, lambda i: f"/admin/users/{i['bert']}/password-link",
         form=lambda i, c: {}),
    case("POST", "/admin/users/<user_id>/reactivate", ADMINS, lambda i: f"/admin/users/{i['solo']}/reactivate",
         form=lambda i, c: {}),
    case("GET", "/admin/teams", ADMINS, lambda i: "/admin/teams"),
    case("POST", "/admin/teams", ADMINS, lambda i: "/admin/teams", form=lambda i, c: {"name": f"Page team {c}"}),
    case("GET", "/admin/teams/<team_id>", ADMINS, lambda i: f"/admin/teams/{i['team']}"),
    case("POST", "/admin/teams/<team_id>", ADMINS, lambda i: f"/admin/teams/{i['team']}",
         form=lambda i, c: {"name": "Billing", "offer_timeout_seconds": "30"}),
    case("GET", "/admin/skills", ADMINS, lambda i: "/admin/skills"),
    case("POST", "/admin/skills", ADMINS, lambda i: "/admin/skills",
         form=lambda i, c: {"code": f"ps-{c}", "name_zh": "技能", "name_en": "Skill", "active": "y"}),
    case("GET", "/admin/skills/<code>", ADMINS, lambda i: "/admin/skills/billing"),
    case("POST", "/admin/skills/<code>", ADMINS, lambda i: "/admin/skills/billing",
         form=lambda i, c: {"name_zh": "账单", "name_en": "Billing", "active": "y"}),
    case("GET", "/admin/categories", ADMINS, lambda i: "/admin/categories"),
    case("POST", "/admin/categories", ADMINS, lambda i: "/admin/categories",
         form=lambda i, c: {"code": f"pc-{c}", "name_zh": "类", "name_en": "Kind", "active": "y"}),
    case("GET", "/admin/categories/<code>", ADMINS, lambda i: "/admin/categories/other"),
    case("POST", "/admin/categories/<code>", ADMINS, lambda i: "/admin/categories/other",
         form=lambda i, c: {"name_zh": "其他", "name_en": "Other", "active": "y"}),
    case("GET", "/admin/setup-log", ADMINS, lambda i: "/admin/setup-log"),
    # A one-time password link opens for whoever holds it, signed in or not.
    case("GET", "/password/<token>", EVERYONE, lambda i: f"/password/{i['password_token']}"),
    case("POST", "/password/<token>", EVERYONE, lambda i: f"/password/{i['password_token']}",
         form=lambda i, c: {"password": "one-password-1", "confirm": "another-one-2"}),
    case("POST", "/desk/routing-rules/<rule_id>/delete", ADMINS, lambda i: f"/desk/routing-rules/{i['doomed_rule']}/delete",
         form=lambda i, c: {}),
    case("DELETE", A + "/sla-policies/<policy_id>", ADMINS, lambda i: f"{A}/sla-policies/{i['doomed_policy']}"),
    case("POST", "/desk/sla-policies/<policy_id>/delete", ADMINS,
         lambda i: f"/desk/sla-policies/{i['doomed_page_policy']}/delete", form=lambda i, c: {}),
    # Deactivating solo (no tickets) last but one: nothing after it needs solo.
    case("POST", A + "/users/<user_id>/deactivate", ADMINS, lambda i: f"{A}/users/{i['solo']}/deactivate",
         lambda i, c: {}),
    case("POST", "/admin/users/<user_id>/deactivate", ADMINS, lambda i: f"/admin/users/{i['solo']}/deactivate",
         form=lambda i, c: {}),
    case("POST", "/logout", STAFF, lambda i: "/logout", form=lambda i, c: {}, ok="sign-in"),  # last: ends the session
]


def _normalise(rule: str) -> str:
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"<\1>", rule)


def test_every_route_and_every_operation_has_a_row(app, client):
    listed = {(c.method, c.rule) for c in CASES}
    routes = {(m, _normalise(r.rule)) for r in app.url_map.iter_rules() for m in r.methods - {"HEAD", "OPTIONS"}}
    assert routes - listed == set(), "routes nobody listed"
    assert listed - routes == set(), "rows for routes that do not exist"
    spec = client.get("/api/v1/openapi.json").json
    operations = {(m.upper(), re.sub(r"\{(\w+)\}", r"<\1>", p)) for p, ops in spec["paths"].items()
                  for m in ops if m in ("get", "post", "put", "patch", "delete")}
    assert operations - listed == set(), "operations of the OpenAPI document nobody listed"


def _api_headers(scene: Scene, caller: str) -> dict:
    if caller == "bad_token":
        return {"Authorization": "Bearer cc_not-a-token"}
    if caller == "revoked_token":
        return {"Authorization": f"Bearer {scene.tokens['revoked']}"}
    if caller in WHO:
        return {"Authorization": f"Bearer {scene.tokens[WHO[caller]]}"}
    return {}


def _outcome(response) -> str:
    status = response.status_code
    if status == 302 and "/login" in response.headers.get("Location", ""):
        return "sign-in"
    if status in (401, 403):
        return str(status)
    if status < 400 or status in (400, 409, 422):  # let in, and judged on what was sent
        return "ok"
    return f"unexpected {status}: {response.get_data(as_text=True)[:200]}"


def _expected(c: Case, caller: str) -> str:
    if caller in c.allowed:
        return c.ok
    api = c.rule.startswith("/api/")
    if caller in STAFF:
        return "403"
    if api:
        return "401"
    return "sign-in"


@pytest.mark.parametrize("caller", CALLERS)
def test_each_caller_gets_exactly_what_the_matrix_says(app, caller):
    scene = _scene(app)
    client = app.test_client()
    page_user = WHO.get(caller)
    if page_user:
        assert login(client, f"{page_user}@test.cc").status_code == 302
    got, wanted = {}, {}
    for c in CASES:
        path = c.path(scene.ids, caller) if c.path.__code__.co_argcount == 2 else c.path(scene.ids)
        if c.rule.startswith("/api/"):
            r = client.open(path, method=c.method, json=c.body(scene.ids, caller) if c.body else None,
                            headers=_api_headers(scene, caller) if caller != "customer" else {})
        elif c.method == "POST":
            token = csrf_from(client.get("/login").get_data(as_text=True)) if not page_user else \
                csrf_from(client.get("/desk/phone").get_data(as_text=True))
            r = client.post(path, data={**(c.form(scene.ids, caller) if c.form else {}), "csrf_token": token})
        else:
            r = client.get(path)
        got[(c.method, c.rule)] = _outcome(r)
        wanted[(c.method, c.rule)] = _expected(c, caller)
    wrong = {k: (got[k], wanted[k]) for k in got if got[k] != wanted[k]}
    assert wrong == {}, f"{caller}: (got, wanted) {wrong}"
