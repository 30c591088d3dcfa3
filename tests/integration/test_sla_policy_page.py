"""The SLA policy page sets the whole policy: what it matches (channel included) and the
escalation chain after a breach, refusing targets that do not exist."""
from __future__ import annotations

from tests.factories import csrf_from, login

BASE = {"name": "Phone complaints", "kind": "complaint", "priority": "", "tier": "", "channel": "phone",
        "category": "", "calendar": "24x7", "first_response": "20", "next_response": "", "resolution": "240",
        "final_response": "", "warn_at": "75,90", "pause_statuses": "pending_customer", "position": "5",
        "active": "y", "level2_after": "10", "level3_after": "20", "level3_to": "team:Network"}


def _post(client, path, **changes):
    token = csrf_from(client.get(path).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **BASE, **changes})


def test_an_admin_sets_the_channel_and_the_escalation_chain_on_the_page(api, client, world):
    login(client, "admin@test.cc")
    r = _post(client, "/desk/sla-policies/new")  # level2_raise unticked: not sent
    assert r.status_code == 302, r.get_data(as_text=True)
    policy = api.get("/api/v1/sla-policies", who="admin").json["items"][0]
    assert policy["match"] == {"kind": "complaint", "channel": "phone"}
    assert policy["escalation"] == [
        {"level": 2, "after_seconds": 600, "notify": "supervisors", "raise_priority": False},
        {"level": 3, "after_seconds": 1200, "notify": "supervisors", "reassign_to": "team:Network"}]
    page = client.get(f"/desk/sla-policies/{policy['id']}").get_data(as_text=True)
    assert '<option selected value="team:Network">' in page  # picked from the teams
    assert '<option selected value="phone">' in page


def test_escalation_targets_that_do_not_exist_or_come_out_of_order_are_refused(api, client, world):
    login(client, "admin@test.cc")
    r = _post(client, "/desk/sla-policies/new", level3_to="team:Nowhere")
    assert r.status_code == 400 and "team:Nowhere" in r.get_data(as_text=True)
    r = _post(client, "/desk/sla-policies/new", level3_to="the boss")
    assert r.status_code == 400 and 'data-error-for="level3_to"' in r.get_data(as_text=True)
    r = _post(client, "/desk/sla-policies/new", level2_after="30", level3_after="15")
    assert r.status_code == 400 and 'data-error-for="level3_after"' in r.get_data(as_text=True)
    assert api.get("/api/v1/sla-policies", who="admin").json["total"] == 0
    ghost = api.post("/api/v1/sla-policies", who="admin", json={
        "name": "x", "targets": {"first_response_seconds": 60, "resolution_seconds": 600},
        "escalation": [{"level": 3, "after_seconds": 60, "reassign_to": "user:ghost@test.cc"}]})
    assert ghost.status_code == 422 and ghost.json["error"]["details"]["fields"]["escalation"] == [
        "level 3: unknown user"]


def test_editing_on_the_page_keeps_further_steps_set_through_the_api(api, client, world):
    created = api.post("/api/v1/sla-policies", who="admin", json={
        "name": "Deep chain", "targets": {"first_response_seconds": 60, "resolution_seconds": 600},
        "escalation": [{"level": 2, "after_seconds": 60, "raise_priority": True},
                       {"level": 4, "after_seconds": 7200, "reassign_to": "user:boss@test.cc"}]}).json
    login(client, "admin@test.cc")
    path = f"/desk/sla-policies/{created['id']}"
    assert 'data-other-steps="1"' in client.get(path).get_data(as_text=True)
    assert _post(client, path, name="Deep chain", level3_after="", level3_to="").status_code == 302
    steps = api.get("/api/v1/sla-policies", who="admin").json["items"][0]["escalation"]
    assert [s["level"] for s in steps] == [2, 4] and steps[1]["reassign_to"] == "user:boss@test.cc"


def test_escalation_targets_are_stored_the_way_escalation_looks_them_up(api, world):
    r = api.post("/api/v1/sla-policies", who="admin", json={
        "name": "x", "targets": {"first_response_seconds": 60, "resolution_seconds": 600},
        "escalation": [{"level": 2, "after_seconds": 0, "reassign_to": "team: Network "},
                       {"level": 3, "after_seconds": 60, "reassign_to": "user:Boss@Test.cc "}]})
    assert r.status_code == 201, r.json
    assert [s["reassign_to"] for s in r.json["escalation"]] == ["team:Network", "user:boss@test.cc"]


def test_saving_on_the_page_keeps_what_the_page_does_not_show_of_levels_2_and_3(api, client, world):
    created = api.post("/api/v1/sla-policies", who="admin", json={
        "name": "API chain", "targets": {"first_response_seconds": 60, "resolution_seconds": 600},
        "escalation": [{"level": 2, "after_seconds": 600, "notify": "assignee", "reassign_to": "team:Network"},
                       {"level": 3, "after_seconds": 1200, "raise_priority": True, "reassign_to": "supervisor"}]}).json
    login(client, "admin@test.cc")
    path = f"/desk/sla-policies/{created['id']}"
    assert _post(client, path, name="API chain", level2_after="10", level2_raise="y", level3_after="20",
                 level3_to="supervisor").status_code == 302
    level2, level3 = api.get("/api/v1/sla-policies", who="admin").json["items"][0]["escalation"]
    assert level2 == {"level": 2, "after_seconds": 600, "notify": "assignee", "reassign_to": "team:Network",
                      "raise_priority": True}
    assert level3["raise_priority"] is True and level3["reassign_to"] == "supervisor"
