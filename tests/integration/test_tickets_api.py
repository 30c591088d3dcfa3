"""HTTP tests of /api/v1/tickets: each endpoint's happy path and each of its errors."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tests.factories import ticket_body


def _create(api, who="boss", headers=None, **overrides):
    r = api.post("/api/v1/tickets", json=ticket_body(**overrides), who=who, headers=headers)
    assert r.status_code == 201, r.json
    return r.json


def _error(r, status, code=None):
    assert r.status_code == status, (r.status_code, r.get_data(as_text=True))
    assert r.is_json, r.get_data(as_text=True)
    assert set(r.json) == {"error"} and {"code", "message", "details"} <= set(r.json["error"])
    if code:
        assert r.json["error"]["code"] == code, r.json
    return r.json["error"]


# ---------------------------------------------------------------- create

def test_the_creation_answers_with_the_ticket_as_stored_when_routing_moved_it_to_its_agents_team(app, api, world):
    # Only nina (Network) is online: a ticket of no category (no team) goes to her and to her
    # team. The answer to the POST must say so, as a GET of the same ticket does.
    from tests.factories import set_presence

    with app.app_context():
        set_presence(world.id("nina"), "available")
    made = _create(api, category=None)
    assert made["assignee"]["id"] == world.id("nina")
    stored = api.get(f"/api/v1/tickets/{made['id']}").json
    assert stored["team"] == "Network"
    # everything else too, but the clocks' time left (a moment has passed)
    assert {k: v for k, v in made.items() if k != "sla"} == {k: v for k, v in stored.items() if k != "sla"}
    assert made["sla"]["state"] == stored["sla"]["state"]


def test_create_returns_the_contract_fields(api, world):
    t = _create(api)
    for key in ("id", "reference", "kind", "channel", "status", "priority", "category", "subject", "customer",
                "assignee", "team", "created_at", "first_response_at", "resolved_at", "sla"):
        assert key in t, key
    assert t["reference"] == f"CC-{datetime.now(timezone.utc).year}-{t['id']:06d}"
    assert t["status"] == "new" and t["assignee"] is None
    assert t["team"] == "Billing"  # from the category
    assert t["customer"]["tier"] == "C" and t["customer"]["name"] == "刘洋"
    assert datetime.fromisoformat(t["created_at"]).utcoffset() == timedelta(0)
    assert {"first_response_due_at", "resolution_due_at", "state"} <= set(t["sla"])


def test_create_derives_severity_and_priority_for_a_legal_threat(api, world):
    t = _create(api, description="Fix it or my lawyer will take you to court.")
    assert t["severity"] == "critical" and t["priority"] == "P1"


def test_explicit_priority_wins(api, world):
    assert _create(api, priority="P4")["priority"] == "P4"


def test_create_writes_a_created_event(api, world):
    t = _create(api)
    events = api.get(f"/api/v1/tickets/{t['id']}/events").json["items"]
    assert events[0]["kind"] == "created"
    assert events[0]["actor"]["id"] == world.id("boss")
    assert events[0]["after"]["reference"] == t["reference"]


def test_idempotency_key_returns_the_first_ticket(api, world):
    first = api.post("/api/v1/tickets", json=ticket_body(), headers={"Idempotency-Key": "abc-1"})
    again = api.post("/api/v1/tickets", json=ticket_body(), headers={"Idempotency-Key": "abc-1"})
    assert first.status_code == 201 and again.status_code == 201
    assert again.json["id"] == first.json["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert api.get("/api/v1/tickets").json["total"] == 1


def test_idempotency_key_reused_with_another_body_is_refused(api, world):
    api.post("/api/v1/tickets", json=ticket_body(), headers={"Idempotency-Key": "k"})
    r = api.post("/api/v1/tickets", json=ticket_body(subject="other"), headers={"Idempotency-Key": "k"})
    _error(r, 422, "idempotency_key_reused")
    assert api.get("/api/v1/tickets").json["total"] == 1


def test_idempotency_keys_are_per_caller(api, world):
    a = api.post("/api/v1/tickets", json=ticket_body(), headers={"Idempotency-Key": "same"}, who="boss")
    b = api.post("/api/v1/tickets", json=ticket_body(), headers={"Idempotency-Key": "same"}, who="anna")
    assert a.json["id"] != b.json["id"]


def test_create_with_missing_and_bad_fields_lists_each_field(api, world):
    r = api.post("/api/v1/tickets", json={"kind": "rant", "subject": "", "customer": {"name": "x"}})
    err = _error(r, 422, "validation_failed")
    fields = err["details"]["fields"]
    assert {"kind", "subject", "description", "customer"} <= set(fields)


def test_create_needs_a_phone_or_an_email(api, world):
    r = api.post("/api/v1/tickets", json=ticket_body(customer={"name": "x"}))
    assert "customer" in _error(r, 422)["details"]["fields"]


def test_create_rejects_a_bad_email_and_phone(api, world):
    r = api.post("/api/v1/tickets", json=ticket_body(customer={"name": "x", "email": "nope", "phone": "call me"}))
    fields = _error(r, 422)["details"]["fields"]["customer"]
    assert {"email", "phone"} <= set(fields)


def test_create_rejects_an_unknown_category(api, world):
    err = _error(api.post("/api/v1/tickets", json=ticket_body(category="weather")), 422)
    assert "category" in err["details"]["fields"]


def test_create_rejects_unknown_fields(api, world):
    _error(api.post("/api/v1/tickets", json=ticket_body(colour="red")), 422)


def test_invalid_json_is_a_json_error(api, world):
    r = api.client.post("/api/v1/tickets", data="{not json", content_type="application/json",
                        headers={"Authorization": f"Bearer {world.tokens['boss']}"})
    assert r.status_code in (400, 422) and r.is_json and "error" in r.json


def test_no_token_is_401_and_bad_token_is_401(api, world):
    _error(api.post("/api/v1/tickets", json=ticket_body(), who=None), 401, "unauthorized")
    r = api.client.get("/api/v1/tickets", headers={"Authorization": "Bearer cc_wrong"})
    _error(r, 401, "unauthorized")
    r = api.client.get("/api/v1/tickets", headers={"Authorization": "Basic abc"})
    _error(r, 401, "unauthorized")


def test_unknown_api_path_is_json_404(api, world):
    _error(api.get("/api/v1/nothing-here"), 404, "not_found")


def test_wrong_method_is_json_405(api, world):
    _error(api.client.delete("/api/v1/tickets", headers={"Authorization": f"Bearer {world.tokens['boss']}"}), 405)


# ---------------------------------------------------------------- read and list

def test_get_one_and_404(api, world):
    t = _create(api)
    assert api.get(f"/api/v1/tickets/{t['id']}").json["reference"] == t["reference"]
    _error(api.get("/api/v1/tickets/999999"), 404, "not_found")


def test_agent_cannot_read_another_teams_ticket(api, world):
    t = _create(api, category="network")
    _error(api.get(f"/api/v1/tickets/{t['id']}", who="anna"), 403, "forbidden")
    assert api.get(f"/api/v1/tickets/{t['id']}", who="nina").status_code == 200


def test_list_shows_an_agent_only_their_teams(api, world):
    _create(api, category="network")
    _create(api, category="billing")
    _create(api, category="other")  # no team: supervisors only
    assert api.get("/api/v1/tickets").json["total"] == 3
    anna = api.get("/api/v1/tickets", who="anna").json
    assert anna["total"] == 1 and anna["items"][0]["team"] == "Billing"


def test_list_filters(api, world):
    a = _create(api, priority="P1", subject="router broken")
    b = _create(api, priority="P4", kind="inquiry", subject="opening hours")
    api.post(f"/api/v1/tickets/{b['id']}/assign", json={"agent_id": world.id("anna")})
    ids = lambda r: [t["id"] for t in r.json["items"]]  # noqa: E731
    assert ids(api.get("/api/v1/tickets?priority=P1")) == [a["id"]]
    assert ids(api.get("/api/v1/tickets?status=assigned")) == [b["id"]]
    assert ids(api.get("/api/v1/tickets?status=new,assigned")) == [b["id"], a["id"]]
    assert ids(api.get(f"/api/v1/tickets?assignee_id={world.id('anna')}")) == [b["id"]]
    assert ids(api.get("/api/v1/tickets?q=router")) == [a["id"]]
    assert ids(api.get(f"/api/v1/tickets?q={a['reference']}")) == [a["id"]]
    assert ids(api.get("/api/v1/tickets?q=刘洋")) == [b["id"], a["id"]]


def test_list_rejects_bad_filters(api, world):
    assert "status" in _error(api.get("/api/v1/tickets?status=open"), 422)["details"]["fields"]
    assert "per_page" in _error(api.get("/api/v1/tickets?per_page=1000"), 422)["details"]["fields"]
    assert "assignee_id" in _error(api.get("/api/v1/tickets?assignee_id=me"), 422)["details"]["fields"]


def test_list_paginates(api, world):
    for i in range(5):
        _create(api, subject=f"t{i}")
    page = api.get("/api/v1/tickets?per_page=2&page=3").json
    assert page["total"] == 5 and page["page"] == 3 and page["per_page"] == 2
    assert [t["subject"] for t in page["items"]] == ["t0"]


# ---------------------------------------------------------------- transitions

def test_transition_and_its_audit_event(api, world):
    t = _create(api)
    r = api.post(f"/api/v1/tickets/{t['id']}/transitions", json={"to": "in_progress", "reason": "calling back"})
    assert r.status_code == 200 and r.json["status"] == "in_progress"
    last = api.get(f"/api/v1/tickets/{t['id']}/events").json["items"][-1]
    assert (last["kind"], last["before"], last["after"], last["data"]["reason"]) == (
        "status_changed", "new", "in_progress", "calling back")


def test_transition_not_allowed_is_409_with_allowed_list(api, world):
    t = _create(api)
    err = _error(api.post(f"/api/v1/tickets/{t['id']}/transitions", json={"to": "closed"}), 409,
                 "transition_not_allowed")
    assert err["details"]["allowed"] == ["in_progress", "cancelled"]
    assert api.get(f"/api/v1/tickets/{t['id']}").json["status"] == "new"


def test_transition_to_unknown_status_is_422(api, world):
    t = _create(api)
    _error(api.post(f"/api/v1/tickets/{t['id']}/transitions", json={"to": "done"}), 422)


def test_transition_by_an_agent_of_another_team_is_403(api, world):
    t = _create(api)
    _error(api.post(f"/api/v1/tickets/{t['id']}/transitions", json={"to": "in_progress"}, who="nina"), 403)


def _resolve(api, tid):
    for to in ("in_progress", "resolved"):
        assert api.post(f"/api/v1/tickets/{tid}/transitions", json={"to": to}).status_code == 200


def test_closing_a_complaint_needs_resolution_root_cause_and_department(api, world):
    t = _create(api)
    _resolve(api, t["id"])
    err = _error(api.post(f"/api/v1/tickets/{t['id']}/transitions", json={"to": "closed"}), 422,
                 "resolution_required")
    assert err["details"]["missing"] == ["resolution_summary", "root_cause", "responsible_department"]
    r = api.post(f"/api/v1/tickets/{t['id']}/transitions", json={"to": "closed", "resolution": {
        "summary": "Refunded 99 yuan", "root_cause": "Duplicate billing run", "department": "Billing ops"}})
    assert r.status_code == 200, r.json
    assert r.json["status"] == "closed" and r.json["resolution"]["root_cause"] == "Duplicate billing run"
    kinds = [e["field"] for e in api.get(f"/api/v1/tickets/{t['id']}/events").json["items"] if e["kind"] == "field_changed"]
    assert {"resolution_summary", "root_cause", "responsible_department"} <= set(kinds)


def test_a_partial_resolution_changes_nothing(api, world):
    t = _create(api)
    _resolve(api, t["id"])
    r = api.post(f"/api/v1/tickets/{t['id']}/transitions", json={"to": "closed", "resolution": {"summary": "x"}})
    assert _error(r, 422)["details"]["missing"] == ["root_cause", "responsible_department"]
    assert api.get(f"/api/v1/tickets/{t['id']}").json["resolution"]["summary"] is None


def test_inquiries_close_without_a_resolution(api, world):
    t = _create(api, kind="inquiry")
    _resolve(api, t["id"])
    assert api.post(f"/api/v1/tickets/{t['id']}/transitions", json={"to": "closed"}).json["status"] == "closed"


def test_reopen_counts_and_clears_resolved_at(api, world):
    t = _create(api)
    _resolve(api, t["id"])
    assert api.get(f"/api/v1/tickets/{t['id']}").json["resolved_at"] is not None
    r = api.post(f"/api/v1/tickets/{t['id']}/transitions", json={"to": "in_progress", "reason": "still broken"})
    assert r.json["reopen_count"] == 1 and r.json["resolved_at"] is None
    assert api.get(f"/api/v1/tickets/{t['id']}/events").json["items"][-1]["kind"] == "reopened"


def test_cancel_is_final(api, world):
    t = _create(api)
    assert api.post(f"/api/v1/tickets/{t['id']}/transitions", json={"to": "cancelled"}).json["cancelled_at"]
    _error(api.post(f"/api/v1/tickets/{t['id']}/transitions", json={"to": "in_progress"}), 409)
    _error(api.post(f"/api/v1/tickets/{t['id']}/messages", json={"body": "hi"}), 409, "ticket_final")


# ---------------------------------------------------------------- messages

def test_first_public_agent_message_is_the_first_response(api, world):
    t = _create(api)
    note = api.post(f"/api/v1/tickets/{t['id']}/messages", json={"body": "check ledger", "internal": True})
    assert note.status_code == 201 and note.json["internal"] is True
    assert api.get(f"/api/v1/tickets/{t['id']}").json["first_response_at"] is None
    reply = api.post(f"/api/v1/tickets/{t['id']}/messages", json={"body": "We are on it."})
    assert reply.status_code == 201
    after = api.get(f"/api/v1/tickets/{t['id']}").json
    assert after["first_response_at"] == reply.json["created_at"]
    assert after["status"] == "in_progress"
    api.post(f"/api/v1/tickets/{t['id']}/messages", json={"body": "second"})
    assert api.get(f"/api/v1/tickets/{t['id']}").json["first_response_at"] == reply.json["created_at"]
    kinds = [e["kind"] for e in api.get(f"/api/v1/tickets/{t['id']}/events").json["items"]]
    assert kinds.count("first_response") == 1 and "note" in kinds and kinds.count("message") == 2
    assert [m["body"] for m in api.get(f"/api/v1/tickets/{t['id']}/messages").json["items"]] == [
        "check ledger", "We are on it.", "second"]


def test_empty_message_is_422(api, world):
    t = _create(api)
    assert "body" in _error(api.post(f"/api/v1/tickets/{t['id']}/messages", json={"body": "   "}), 422)["details"]["fields"]


# ---------------------------------------------------------------- assignment

def test_supervisor_assigns_and_the_trail_says_who(api, world):
    t = _create(api)
    r = api.post(f"/api/v1/tickets/{t['id']}/assign", json={"agent_id": world.id("anna")})
    assert r.status_code == 200
    assert r.json["assignee"] == {"id": world.id("anna"), "name": "Anna"} and r.json["status"] == "assigned"
    ev = [e for e in api.get(f"/api/v1/tickets/{t['id']}/events").json["items"] if e["kind"] == "assigned"][0]
    assert ev["before"] is None and ev["after"]["id"] == world.id("anna") and ev["actor"]["id"] == world.id("boss")


def test_agent_takes_a_ticket_but_cannot_give_it_away(api, world):
    t = _create(api)
    _error(api.post(f"/api/v1/tickets/{t['id']}/assign", json={"agent_id": world.id("bert")}, who="anna"), 403)
    assert api.post(f"/api/v1/tickets/{t['id']}/assign", json={"agent_id": world.id("anna")}, who="anna").status_code == 200


def test_transfer_to_another_team_moves_the_team(api, world):
    t = _create(api)
    r = api.post(f"/api/v1/tickets/{t['id']}/assign", json={"agent_id": world.id("nina")})
    assert r.json["team"] == "Network"
    assert api.get(f"/api/v1/tickets/{t['id']}", who="nina").status_code == 200


def test_assign_errors(api, world):
    t = _create(api)
    _error(api.post(f"/api/v1/tickets/{t['id']}/assign", json={"agent_id": 4242}), 422)
    _error(api.post(f"/api/v1/tickets/{t['id']}/assign", json={"agent_id": "anna"}), 422)
    _error(api.post(f"/api/v1/tickets/{t['id']}/assign", json={"agent_id": world.id("admin")}), 422)
    _resolve(api, t["id"])
    _error(api.post(f"/api/v1/tickets/{t['id']}/assign", json={"agent_id": world.id("anna")}), 409, "not_assignable")


# ---------------------------------------------------------------- fields and promises

def test_patch_fields_is_audited_before_and_after(api, world):
    t = _create(api)
    r = api.patch(f"/api/v1/tickets/{t['id']}", json={"priority": "P1", "severity": "critical", "category": "network"})
    assert r.status_code == 200 and r.json["priority"] == "P1" and r.json["category"] == "network"
    changes = {e["field"]: (e["before"], e["after"]) for e in api.get(f"/api/v1/tickets/{t['id']}/events").json["items"]
               if e["kind"] == "field_changed"}
    assert changes["priority"] == (t["priority"], "P1")
    assert changes["category_code"] == ("billing", "network")
    _error(api.patch(f"/api/v1/tickets/{t['id']}", json={"priority": "urgent"}), 422)


def test_promises_are_recorded_and_settled_once(api, world):
    t = _create(api)
    due = (datetime.now(timezone.utc) + timedelta(days=1)).isoformat()
    p = api.post(f"/api/v1/tickets/{t['id']}/promises", json={"description": "Call back with the refund", "due_at": due})
    assert p.status_code == 201 and p.json["status"] == "open"
    assert api.get(f"/api/v1/tickets/{t['id']}").json["promises"][0]["description"] == "Call back with the refund"
    kept = api.post(f"/api/v1/tickets/{t['id']}/promises/{p.json['id']}", json={"outcome": "kept"})
    assert kept.json["status"] == "kept" and kept.json["settled_at"]
    _error(api.post(f"/api/v1/tickets/{t['id']}/promises/{p.json['id']}", json={"outcome": "kept"}), 409)
    _error(api.post(f"/api/v1/tickets/{t['id']}/promises/999", json={"outcome": "kept"}), 404)
    kinds = [e["kind"] for e in api.get(f"/api/v1/tickets/{t['id']}/events").json["items"]]
    assert "promise_made" in kinds and "promise_kept" in kinds


def test_promise_needs_an_aware_due_time(api, world):
    t = _create(api)
    r = api.post(f"/api/v1/tickets/{t['id']}/promises", json={"description": "x", "due_at": "2026-12-01T10:00:00"})
    assert "due_at" in _error(r, 422)["details"]["fields"]


def test_promises_can_come_with_the_ticket(api, world):
    due = (datetime.now(timezone.utc) + timedelta(hours=4)).isoformat()
    t = _create(api, promises=[{"description": "Engineer visit today", "due_at": due}])
    assert [p["description"] for p in t["promises"]] == ["Engineer visit today"]


def test_an_agent_cannot_take_a_teammates_ticket(api, world):
    t = _create(api)
    api.post(f"/api/v1/tickets/{t['id']}/assign", json={"agent_id": world.id("anna")})
    _error(api.post(f"/api/v1/tickets/{t['id']}/assign", json={"agent_id": world.id("bert")}, who="bert"), 403)


def test_an_overlong_idempotency_key_is_422(api, world):
    r = api.post("/api/v1/tickets", json=ticket_body(), headers={"Idempotency-Key": "k" * 256})
    assert "Idempotency-Key" in _error(r, 422)["details"]["fields"]
