from callcenter.events import NAMESPACE  # noqa: F401  (the namespace events go to)


def test_agent_json_has_the_contract_fields_and_load(api, world):
    t = api.post("/api/v1/tickets", json={"kind": "inquiry", "subject": "s", "description": "d", "category": "billing",
                                          "customer": {"name": "c", "phone": "13800000000"}}).json
    api.post(f"/api/v1/tickets/{t['id']}/assign", json={"agent_id": world.id("anna")})
    page = api.get("/api/v1/agents").json
    assert set(page) == {"items", "page", "per_page", "total"}
    anna = next(a for a in page["items"] if a["id"] == world.id("anna"))
    for key in ("id", "email", "name", "role", "teams", "skills", "languages", "capacity", "presence", "load"):
        assert key in anna
    assert anna["teams"] == ["Billing"] and anna["skills"] == {"billing": 3} and anna["load"] == 1
    assert all(a["role"] in ("agent", "supervisor") for a in page["items"])


def test_agents_filter_by_team_and_presence(api, world):
    names = [a["email"] for a in api.get("/api/v1/agents?team=Network").json["items"]]
    assert names == ["boss@test.cc", "nina@test.cc"] or sorted(names) == ["boss@test.cc", "nina@test.cc"]
    api.put(f"/api/v1/agents/{world.id('nina')}/presence", json={"state": "away"}, who="nina")
    away = api.get("/api/v1/agents?presence=away").json["items"]
    assert [a["id"] for a in away] == [world.id("nina")]


def test_an_agent_sets_their_own_presence_only(api, world):
    r = api.put(f"/api/v1/agents/{world.id('anna')}/presence", json={"state": "away"}, who="anna")
    assert r.status_code == 200 and r.json["presence"] == "away"
    r = api.put(f"/api/v1/agents/{world.id('bert')}/presence", json={"state": "away"}, who="anna")
    assert r.status_code == 403 and r.json["error"]["code"] == "forbidden"


def test_supervisors_set_anyones_presence(api, world):
    r = api.put(f"/api/v1/agents/{world.id('bert')}/presence", json={"state": "offline"}, who="boss")
    assert r.json["presence"] == "offline"


def test_presence_errors(api, world):
    assert api.put(f"/api/v1/agents/{world.id('anna')}/presence", json={"state": "busy"}).status_code == 422
    assert api.put("/api/v1/agents/9999/presence", json={"state": "away"}).status_code == 404
