"""Setting up the desk: every reference must exist (a typo creates nothing), admins keep users,
teams, skills and categories, and deactivating someone leaves no work without an owner."""
import pytest
from sqlalchemy import func, select

from callcenter.auth.models import Team, User
from callcenter.directory.models import SetupLogEntry
from callcenter.extensions import db
from callcenter.notifications.models import OutboundMessage
from callcenter.routing.models import Offer, OfferStatus
from callcenter.tickets.models import Ticket

from ..factories import PASSWORD, csrf_from, login, logout, offer, run_jobs, set_presence, ticket_at

pytestmark = pytest.mark.usefixtures("clean_state")


def _teams(app) -> list[str]:
    with app.app_context():
        return sorted(db.session.scalars(select(Team.name)))


def _rule(**overrides):
    return {"name": "Billing complaints", "match": {"kind": "complaint"}, "skills": {"billing": 2},
            "team": "Billing", **overrides}


def test_a_routing_rule_naming_a_team_that_does_not_exist_is_refused_and_creates_no_team(app, api, world):
    before = _teams(app)
    r = api.post("/api/v1/routing-rules", json=_rule(team="Biling"), who="admin")
    assert r.status_code == 422, r.json
    assert "team" in r.json["error"]["details"]["fields"] and "Biling" in r.json["error"]["message"]
    assert _teams(app) == before
    assert api.get("/api/v1/routing-rules", who="admin").json["total"] == 0


def test_a_routing_rule_page_with_a_mistyped_team_shows_the_message_and_keeps_the_input(app, client, world):
    login(client, "admin@test.cc")
    token = csrf_from(client.get("/desk/routing-rules/new").get_data(as_text=True))
    r = client.post("/desk/routing-rules/new", data={
        "csrf_token": token, "name": "Typo", "kind": "", "channel": "", "tier": "", "language": "",
        "category": "", "keywords": "", "skills": "", "team": "Biling", "priority": "", "position": "5",
        "active": "y"})
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and "Biling" in html and 'value="Typo"' in html
    assert _teams(app) == ["Billing", "Network"]


@pytest.mark.parametrize("field, rule", [
    ("skills", _rule(skills={"telepathy": 3})),
    ("match.category", _rule(match={"category": ["billing", "biling"]})),
])
def test_a_routing_rule_naming_an_unknown_skill_or_category_is_refused(api, world, field, rule):
    r = api.post("/api/v1/routing-rules", json=rule, who="admin")
    assert r.status_code == 422 and field in r.json["error"]["details"]["fields"], r.json


def test_a_team_name_with_a_control_character_is_refused(app, api, world):
    r = api.post("/api/v1/teams", json={"name": "bad\x07team"}, who="admin")
    assert r.status_code == 422 and "name" in r.json["error"]["details"]["fields"]
    assert api.post("/api/v1/teams", json={"name": "billing"}, who="admin").status_code == 422  # taken, case aside
    assert api.post("/api/v1/teams", json={"name": "Retention"}, who="admin").status_code == 201
    assert _teams(app) == ["Billing", "Network", "Retention"]


def test_an_sla_policy_resolving_sooner_than_it_first_responds_is_refused(api, world):
    r = api.post("/api/v1/sla-policies", json={"name": "Upside down", "targets": {
        "first_response_seconds": 7200, "resolution_seconds": 3600}}, who="admin")
    assert r.status_code == 422 and "targets.resolution_seconds" in r.json["error"]["details"]["fields"]


def test_an_sla_policy_matching_an_unknown_category_is_refused(api, world):
    r = api.post("/api/v1/sla-policies", json={"name": "Typo", "match": {"category": "biling"}, "targets": {
        "first_response_seconds": 600, "resolution_seconds": 3600}}, who="admin")
    assert r.status_code == 422 and "match.category" in r.json["error"]["details"]["fields"]


def test_a_user_with_an_unknown_team_or_skill_is_refused(app, api, world):
    base = {"email": "new@test.cc", "name": "New", "role": "agent"}
    r = api.post("/api/v1/users", json={**base, "teams": ["Biling"]}, who="admin")
    assert r.status_code == 422 and "teams" in r.json["error"]["details"]["fields"]
    r = api.post("/api/v1/users", json={**base, "skills": {"telepathy": 3}}, who="admin")
    assert r.status_code == 422 and "skills" in r.json["error"]["details"]["fields"]
    assert _teams(app) == ["Billing", "Network"]
    with app.app_context():
        assert db.session.scalar(select(User.id).where(User.email == "new@test.cc")) is None


def test_a_new_colleague_sets_their_password_once_through_the_link_and_signs_in(app, api, client, world):
    r = api.post("/api/v1/users", json={"email": "Mei@Test.cc", "name": "梅", "role": "agent", "teams": ["Billing"],
                                        "skills": {"billing": 4}, "languages": ["zh", "en"], "capacity": 3},
                 who="admin")
    assert r.status_code == 201, r.json
    assert r.json["email"] == "mei@test.cc" and r.json["teams"] == ["Billing"] and r.json["skills"] == {"billing": 4}
    path = r.json["password_link"].split("://", 1)[1].split("/", 1)[1]
    page = client.get("/" + path)
    assert page.status_code == 200 and "mei@test.cc" in page.get_data(as_text=True)
    token = csrf_from(page.get_data(as_text=True))
    differ = client.post("/" + path, data={"csrf_token": token, "password": "a-good-pass-1", "confirm": "other-pass-1"})
    assert differ.status_code == 400
    done = client.post("/" + path, data={"csrf_token": token, "password": "a-good-pass-1", "confirm": "a-good-pass-1"})
    assert done.status_code == 302
    assert client.get("/" + path).status_code == 410  # once only
    assert login(client, "mei@test.cc", "a-good-pass-1").status_code == 302
    assert client.get("/desk/").status_code == 200
    logout(client)
    with app.app_context():
        actions = [e.action for e in db.session.scalars(select(SetupLogEntry).order_by(SetupLogEntry.id))]
    assert actions == ["user.created"]


def test_a_new_password_link_stops_the_earlier_one(api, client, world):
    first = api.post("/api/v1/users", json={"email": "kai@test.cc", "name": "Kai", "role": "agent"},
                     who="admin").json
    second = api.post(f"/api/v1/users/{first['id']}/password-link", who="admin")
    assert second.status_code == 201
    old_path = "/" + first["password_link"].split("://", 1)[1].split("/", 1)[1]
    new_path = "/" + second.json["password_link"].split("://", 1)[1].split("/", 1)[1]
    assert client.get(old_path).status_code == 410 and client.get(new_path).status_code == 200
    assert api.post(f"/api/v1/users/{first['id']}/password-link", who="boss").status_code == 403


def test_deactivating_an_agent_hands_every_open_ticket_and_offer_to_the_queue_at_once(app, api, client, world):
    from datetime import timedelta

    from callcenter.db_types import utcnow

    anna = world.id("anna")
    with app.app_context():
        now = utcnow()
        held = [ticket_at(world, now - timedelta(minutes=5), subject=f"held {i}") for i in range(3)]
        offered = ticket_at(world, now - timedelta(minutes=1), subject="offered")
        ids = [t.id for t in held]
        offered_id = offered.id
    for i, ticket_id in enumerate(ids):
        assert api.post(f"/api/v1/tickets/{ticket_id}/assign", json={"agent_id": anna}, who="boss").status_code == 200
        if i >= 1:
            assert api.post(f"/api/v1/tickets/{ticket_id}/transitions", json={"to": "in_progress"},
                            who="anna").status_code == 200
        if i == 2:
            assert api.post(f"/api/v1/tickets/{ticket_id}/transitions", json={"to": "pending_customer"},
                            who="anna").status_code == 200
    with app.app_context():
        offer(offered_id, anna, utcnow())
    r = api.post(f"/api/v1/users/{anna}/deactivate", json={}, who="admin")
    assert r.status_code == 200, r.json
    assert sorted(r.json["tickets"]) == sorted(ids) and r.json["offers"] == [offered_id]
    with app.app_context():
        rows = db.session.scalars(select(Ticket).where(Ticket.id.in_(ids))).all()
        assert all(t.assignee_id is None and t.status.value == "new" for t in rows)
        assert db.session.scalar(select(func.count()).select_from(Offer).where(
            Offer.agent_id == anna, Offer.status == OfferStatus.pending)) == 0
        user = db.session.get(User, anna)
        assert not user.active and user.presence.value == "offline"
    for ticket_id in ids:
        kinds = [e["kind"] for e in api.get(f"/api/v1/tickets/{ticket_id}/events").json["items"]]
        assert "handed_back" in kinds
    assert api.get("/api/v1/tickets", who="anna").status_code == 401  # her token stopped working
    assert login(client, "anna@test.cc", PASSWORD).status_code != 302
    with app.app_context():
        set_presence(world.id("bert"), "available")
    run_jobs(app)  # the worker's routing sweep serves the queue: bert, the other billing agent, gets them
    with app.app_context():
        assert {t.assignee_id for t in db.session.scalars(select(Ticket).where(Ticket.id.in_(ids)))} == {
            world.id("bert")}


def test_deactivating_hands_the_work_to_a_named_colleague(app, api, world):
    anna, bert = world.id("anna"), world.id("bert")
    ticket = api.post("/api/v1/tickets", json={"kind": "complaint", "channel": "api", "subject": "x",
                                               "description": "y", "category": "billing",
                                               "customer": {"name": "z", "phone": "13800000001"}}).json
    assert api.post(f"/api/v1/tickets/{ticket['id']}/assign", json={"agent_id": anna}, who="boss").status_code == 200
    assert api.post(f"/api/v1/users/{anna}/deactivate", json={"hand_to": anna}, who="admin").status_code == 422
    assert api.post(f"/api/v1/users/{anna}/deactivate", json={"hand_to": 2**40}, who="admin").status_code == 422
    r = api.post(f"/api/v1/users/{anna}/deactivate", json={"hand_to": bert}, who="admin")
    assert r.status_code == 200 and r.json["tickets"] == [ticket["id"]]
    assert api.get(f"/api/v1/tickets/{ticket['id']}").json["assignee"]["id"] == bert


def test_admins_cannot_deactivate_themselves_and_others_may_not_deactivate_at_all(api, world):
    assert api.post(f"/api/v1/users/{world.id('admin')}/deactivate", json={}, who="admin").status_code == 422
    assert api.post(f"/api/v1/users/{world.id('anna')}/deactivate", json={}, who="boss").status_code == 403


def test_an_admin_sets_up_a_skill_and_a_category_on_the_pages_and_tickets_follow_it(app, api, client, world):
    login(client, "admin@test.cc")
    token = csrf_from(client.get("/admin/skills").get_data(as_text=True))
    r = client.post("/admin/skills", data={"csrf_token": token, "code": "refunds", "name_zh": "退款",
                                           "name_en": "Refunds", "active": "y"})
    assert r.status_code == 302
    bad = client.post("/admin/categories", data={"csrf_token": token, "code": "refund", "name_zh": "退款",
                                                 "name_en": "Refunds", "team": "Biling", "skill:refunds": "3",
                                                 "default_priority": "P2", "active": "y"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "Biling" in html and 'value="refund"' in html
    ok = client.post("/admin/categories", data={"csrf_token": token, "code": "refund", "name_zh": "退款",
                                                "name_en": "Refunds", "team": "Billing", "skill:refunds": "3",
                                                "default_priority": "P2", "active": "y"})
    assert ok.status_code == 302
    page = client.get("/admin/categories").get_data(as_text=True)
    assert "Refunds level 3" in page  # the required skill by its name, in the page's language
    t = api.post("/api/v1/tickets", json={"kind": "service_request", "channel": "api", "subject": "退款",
                                          "description": "请退款", "category": "refund",
                                          "customer": {"name": "z", "phone": "13800000002"}}).json
    assert t["required_skills"] == {"refunds": 3} and t["priority"] == "P2" and t["team"] == "Billing"
    log = client.get("/admin/setup-log").get_data(as_text=True)
    assert "refund" in log and "refunds" in log


@pytest.mark.parametrize("who", ["boss@test.cc", "anna@test.cc"])
def test_only_admins_open_the_set_up_pages(client, world, who):
    login(client, who)
    for path in ("/admin/users", "/admin/teams", "/admin/skills", "/admin/categories", "/admin/setup-log"):
        assert client.get(path).status_code == 403, path


def test_an_admin_edits_a_user_on_the_page(app, client, world):
    login(client, "admin@test.cc")
    anna = world.id("anna")
    page = client.get(f"/admin/users/{anna}").get_data(as_text=True)
    token = csrf_from(page)
    r = client.post(f"/admin/users/{anna}", data={"csrf_token": token, "name": "Anna Li", "role": "agent",
                                                  "teams": ["Billing", "Network"], "skill:billing": "5",
                                                  "skill:network": "2", "languages": ["zh"], "capacity": "7"})
    assert r.status_code == 302, r.get_data(as_text=True)
    with app.app_context():
        user = db.session.get(User, anna)
        assert user.name == "Anna Li" and [t.name for t in user.teams] == ["Billing", "Network"]
        assert user.skill_levels == {"billing": 5, "network": 2} and user.capacity == 7 and user.languages == ["zh"]
        entry = db.session.scalar(select(SetupLogEntry).where(SetupLogEntry.action == "user.changed"))
        assert entry.details["changes"]["capacity"] == [5, 7]


def test_supervisors_read_rules_and_policies_without_a_form_to_save(app, api, client, world):
    rule = api.post("/api/v1/routing-rules", json=_rule(), who="admin").json
    policy = api.post("/api/v1/sla-policies", json={"name": "Fast", "targets": {
        "first_response_seconds": 600, "resolution_seconds": 3600}}, who="admin").json
    login(client, "boss@test.cc")
    for path, form_id in ((f"/desk/routing-rules/{rule['id']}", "rule-form"),
                          (f"/desk/sla-policies/{policy['id']}", "policy-form")):
        html = client.get(path).get_data(as_text=True)
        assert "data-read-only" in html and "<fieldset class=\"plain\" disabled>" in html, path
        form = html.split(f'id="{form_id}"')[1].split("</form>")[0]
        assert "<button" not in form and "data-delete" not in html, path
    assert f'href="/desk/routing-rules/{rule["id"]}"' in client.get("/desk/routing-rules").get_data(as_text=True)


def test_an_admin_deletes_a_rule_and_a_policy_on_their_pages_and_the_log_says_so(app, api, client, world):
    rule = api.post("/api/v1/routing-rules", json=_rule(), who="admin").json
    policy = api.post("/api/v1/sla-policies", json={"name": "Fast", "targets": {
        "first_response_seconds": 600, "resolution_seconds": 3600}}, who="admin").json
    login(client, "admin@test.cc")
    page = client.get(f"/desk/routing-rules/{rule['id']}").get_data(as_text=True)
    token = csrf_from(page)
    assert "data-delete" in page
    assert client.post(f"/desk/routing-rules/{rule['id']}/delete", data={"csrf_token": token}).status_code == 302
    assert client.post(f"/desk/sla-policies/{policy['id']}/delete", data={"csrf_token": token}).status_code == 302
    assert api.get("/api/v1/routing-rules", who="admin").json["total"] == 0
    assert all(p["id"] != policy["id"] for p in api.get("/api/v1/sla-policies", who="admin").json["items"])
    actions = [e["action"] for e in api.get("/api/v1/setup-log", who="admin").json["items"]]
    assert actions[:2] == ["policy.deleted", "rule.deleted"]


def test_an_agent_who_is_not_available_sees_a_banner_and_becomes_available_in_one_click(app, client, world):
    login(client, "anna@test.cc")  # factories make people offline
    html = client.get("/desk/").get_data(as_text=True)
    assert "data-presence-banner" in html
    r = client.post("/desk/presence", data={"csrf_token": csrf_from(html), "state": "available"},
                    headers={"Referer": "http://localhost/desk/"})
    assert r.status_code == 302
    assert "data-presence-banner" not in client.get("/desk/").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, world.id("anna")).presence.value == "available"


def test_with_mail_set_up_the_password_link_is_also_mailed_and_either_copy_works_once(app, api, client, world):
    import email
    import email.policy
    import re
    import socket

    from aiosmtpd.controller import Controller

    received = []

    class Inbox:
        async def handle_DATA(self, server, session, envelope):
            mail = email.message_from_bytes(envelope.content, policy=email.policy.default)
            received.append((envelope.rcpt_tos, mail.get_body().get_content()))
            return "250 OK"

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    smtp = Controller(Inbox(), hostname="127.0.0.1", port=port)
    smtp.start()
    saved = {k: app.config[k] for k in ("MAIL_BACKEND", "SMTP_HOST", "SMTP_PORT")}
    app.config.update(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=port)
    try:
        r = api.post("/api/v1/users", json={"email": "lan@test.cc", "name": "兰", "role": "agent",
                                            "languages": ["zh"]}, who="admin")
        assert r.status_code == 201
        run_jobs(app)  # the real delivery job, through a real SMTP server on loopback
    finally:
        app.config.update(saved)
        smtp.stop()
    assert [rcpt for rcpt, _ in received] == [["lan@test.cc"]]
    mailed = re.search(r"/password/([\w-]+)", received[0][1])
    assert mailed, received[0][1]
    shown = r.json["password_link"].split("/password/")[1]
    assert mailed.group(1) != shown
    assert client.get(f"/password/{shown}").status_code == 200  # the copy shown to the admin still works
    page = client.get(f"/password/{mailed.group(1)}")
    assert page.status_code == 200
    token = csrf_from(page.get_data(as_text=True))
    assert client.post(f"/password/{mailed.group(1)}", data={"csrf_token": token, "password": "lan-password-1",
                                                             "confirm": "lan-password-1"}).status_code == 302
    assert client.get(f"/password/{shown}").status_code == 410  # using one ends both
    with app.app_context():
        message = db.session.scalar(select(OutboundMessage))
        assert message.status.value == "sent" and "/password/" not in message.body  # no usable link stored


def test_the_deactivate_form_refuses_a_colleague_id_no_database_can_hold(app, client, world):
    login(client, "admin@test.cc")
    anna = world.id("anna")
    token = csrf_from(client.get(f"/admin/users/{anna}").get_data(as_text=True))
    r = client.post(f"/admin/users/{anna}/deactivate", data={"csrf_token": token, "hand_to": "99999999999"})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/admin/users/{anna}")
    with app.app_context():
        assert db.session.get(User, anna).active  # nothing happened


def _with_mail(app, monkeypatch) -> list:
    from callcenter.notifications import delivery

    sent = []
    monkeypatch.setattr(delivery, "send", lambda config, to, subject, body: sent.append((to, body)))
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "smtp")
    return sent


def test_a_password_mail_queued_before_a_reset_is_not_sent_with_a_fresh_link(app, api, client, world, monkeypatch):
    sent = _with_mail(app, monkeypatch)
    first = api.post("/api/v1/users", json={"email": "zoe@test.cc", "name": "Zoe", "role": "agent"}, who="admin").json
    reset = api.post(f"/api/v1/users/{first['id']}/password-link", who="admin").json  # before the worker ran
    run_jobs(app)
    with app.app_context():
        statuses = [(m.status.value, m.last_error or "") for m in db.session.scalars(
            select(OutboundMessage).order_by(OutboundMessage.id))]
    assert statuses[0][0] == "failed" and "superseded" in statuses[0][1]
    assert statuses[1][0] == "sent" and len(sent) == 1
    old = first["password_link"].split("/password/")[1]
    assert client.get(f"/password/{old}").status_code == 410  # the reset ended it
    assert client.get(f"/password/{reset['password_link'].split('/password/')[1]}").status_code == 200


def test_deactivating_ends_unused_links_and_a_queued_mail_to_them_is_not_sent(app, api, client, world, monkeypatch):
    sent = _with_mail(app, monkeypatch)
    user = api.post("/api/v1/users", json={"email": "ian@test.cc", "name": "Ian", "role": "agent"}, who="admin").json
    assert api.post(f"/api/v1/users/{user['id']}/deactivate", json={}, who="admin").status_code == 200
    run_jobs(app)
    assert sent == []
    assert api.post(f"/api/v1/users/{user['id']}/reactivate", who="admin").status_code == 200
    assert client.get(f"/password/{user['password_link'].split('/password/')[1]}").status_code == 410
