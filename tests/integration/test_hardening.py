"""Each finding of the probe of the running service: bad input answered with 500, load from one
request, and the web's usual holes. Every test here failed on the code before its fix."""
import json
import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from callcenter.db_types import utcnow
from callcenter.extensions import db
from callcenter.tickets.models import Ticket
from tests.factories import PASSWORD, csrf_from, login, ticket_body

BIG = str(2**64 + 5)


def _count(app):
    with app.app_context():
        return db.session.scalar(select(func.count(Ticket.id)))


def _assert_json_error(r, status=422):
    assert r.status_code == status, (r.status_code, r.get_data(as_text=True)[:300])
    assert r.is_json and set(r.json["error"]) == {"code", "message", "details"}


# ---------------------------------------------------------------- bad input is a 4xx, never a 500

@pytest.mark.parametrize("where", ["subject", "customer.name", "description"])
@pytest.mark.parametrize("bad", ["x\ud800y", "x\x00y"])
def test_a_lone_surrogate_or_nul_in_a_text_field_is_a_422_naming_it(app, api, world, where, bad):
    body = ticket_body()
    if where == "customer.name":
        body["customer"]["name"] = bad
    else:
        body[where] = bad
    r = api.client.post("/api/v1/tickets", data=json.dumps(body, ensure_ascii=True),
                        headers={"Authorization": f"Bearer {world.tokens['boss']}", "Content-Type": "application/json"})
    _assert_json_error(r)
    assert where.split(".")[0] in json.dumps(r.json["error"]["details"])
    assert _count(app) == 0


@pytest.mark.parametrize("query", ["q=a%00b", "team=Bill%00ing", "status=new%00", "customer_id=" + BIG,
                                   "assignee_id=" + BIG, "assignee_id=-" + BIG, "page=" + BIG, "per_page=" + BIG])
def test_bad_query_filters_are_422(api, world, query):
    _assert_json_error(api.get(f"/api/v1/tickets?{query}"))


def test_an_agent_id_beyond_64_bits_is_422(app, api, world):
    tid = api.post("/api/v1/tickets", json=ticket_body()).json["id"]
    _assert_json_error(api.post(f"/api/v1/tickets/{tid}/assign", json={"agent_id": 2**64 + 5}))
    _assert_json_error(api.post(f"/api/v1/tickets/{tid}/assign", json={"agent_id": 2**40}))


def test_json_nested_100000_deep_is_a_400(api, world):
    r = api.client.post("/api/v1/tickets", data="[" * 100_000 + "]" * 100_000,
                        headers={"Authorization": f"Bearer {api.tokens['boss']}", "Content-Type": "application/json"})
    _assert_json_error(r, 400)
    assert r.json["error"]["code"] == "invalid_json"


@pytest.mark.parametrize("due", ["9999-12-31T23:59:59+00:00", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00",
                                 "2027-01-05T10:00:00-14:00"])
def test_a_promise_due_at_an_impossible_time_is_422(api, world, due):
    tid = api.post("/api/v1/tickets", json=ticket_body()).json["id"]
    _assert_json_error(api.post(f"/api/v1/tickets/{tid}/promises", json={"description": "call back", "due_at": due}))
    _assert_json_error(api.post("/api/v1/tickets", json=ticket_body(promises=[{"description": "x", "due_at": due}])))


def test_a_promise_due_in_the_past_is_422(api, world):
    tid = api.post("/api/v1/tickets", json=ticket_body()).json["id"]
    past = (utcnow() - timedelta(minutes=5)).isoformat()
    _assert_json_error(api.post(f"/api/v1/tickets/{tid}/promises", json={"description": "x", "due_at": past}))


def test_nul_bytes_in_names_of_rules_and_calendars_are_422(api, world):
    _assert_json_error(api.post("/api/v1/routing-rules", who="admin", json={
        "name": "bad\x00rule", "match": {"kind": "complaint"}, "skills": {"billing": 1}}))
    _assert_json_error(api.post("/api/v1/sla-calendars", who="admin", json={
        "name": "x\x00y", "tz": "Asia/Shanghai", "weekly": {"0": "09:00-18:00"}}))


def test_nul_bytes_on_the_public_pages_are_a_message_not_a_500(app, client, world):
    r = client.get("/t/abc%00def")
    assert r.status_code == 400 and "NUL" in r.get_data(as_text=True)
    token = csrf_from(client.get("/submit").get_data(as_text=True))
    r = client.post("/submit", data={"csrf_token": token, "kind": "inquiry", "name": "王\x00芳", "phone": "13911112222",
                                     "category": "billing", "subject": "s\x00", "description": "a question here"})
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and 'data-error-for="name"' in html and 'data-error-for="subject"' in html
    assert _count(app) == 0
    assert client.get("/desk/?q=a%00b").status_code in (302, 400)  # signed out: to the sign-in page


def test_a_staff_search_with_a_nul_byte_is_a_message(client, world):
    login(client, "anna@test.cc")
    r = client.get("/desk/?q=a%00b")
    assert r.status_code == 400 and "NUL" in r.get_data(as_text=True)


def test_a_calendar_that_never_opens_is_refused_on_save(api, world):
    base = {"name": "Closed forever", "tz": "Asia/Shanghai", "weekly": {"0": "09:00-18:00"}}
    mondays = []
    day = utcnow().date()
    while len(mondays) < 170:  # every Monday for more than three years
        if day.weekday() == 0:
            mondays.append(day.isoformat())
        day += timedelta(days=1)
    r = api.post("/api/v1/sla-calendars", who="admin", json={**base, "extra_closed": mondays})
    _assert_json_error(r)
    assert "extra_closed" in json.dumps(r.json["error"]["details"])
    assert api.get("/api/v1/sla-calendars", who="admin").json["total"] == 0


def test_a_calendar_that_never_opens_left_from_before_does_not_break_its_tickets(app, api, world):
    """Saved before the check existed: reads, lists and new tickets still answer."""
    from callcenter.sla.models import SlaCalendar, SlaPolicy

    with app.app_context():
        db.session.add(SlaCalendar(name="Never", tz="Asia/Shanghai", weekly={}, extra_closed=[], extra_open={}))
        db.session.add(SlaPolicy(name="On never", match={}, calendar="Never", position=0,
                                 targets={"first_response_seconds": 3600, "resolution_seconds": 7200}))
        db.session.commit()
    r = api.post("/api/v1/tickets", json=ticket_body())
    assert r.status_code == 201
    assert api.get(f"/api/v1/tickets/{r.json['id']}").status_code == 200
    assert api.get("/api/v1/tickets").status_code == 200


# ---------------------------------------------------------------- load from one request

def test_the_number_of_promises_in_one_request_is_capped(app, api, world):
    due = (utcnow() + timedelta(days=1)).isoformat()
    r = api.post("/api/v1/tickets", json=ticket_body(promises=[{"description": f"p{i}", "due_at": due}
                                                               for i in range(1000)]))
    _assert_json_error(r)
    assert "promises" in r.json["error"]["details"]["fields"]
    assert api.post("/api/v1/tickets", json=ticket_body(promises=[{"description": f"p{i}", "due_at": due}
                                                                  for i in range(20)])).status_code == 201


def test_promises_cost_a_few_statements_each_not_more_for_each_promise_already_there(app, world):
    from sqlalchemy import event

    from callcenter.actions import tickets as services
    from callcenter.actors import Actor
    from callcenter.auth.models import User

    def statements(n):
        due = utcnow() + timedelta(days=1)
        seen = []
        with app.app_context():
            actor = Actor.of_user(db.session.get(User, world.id("boss")))
            listener = lambda *a, **k: seen.append(1)  # noqa: E731
            event.listen(db.engine, "before_cursor_execute", listener)
            try:
                services.create_ticket(ticket_body(promises=[{"description": f"p{i}", "due_at": due}
                                                             for i in range(n)]), actor)
            finally:
                event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    none, one, twenty = statements(0), statements(1), statements(20)
    # The ticket's clocks are read and summed up once, whatever the number of promises; each
    # further promise costs its own rows at most (three inserts), however many came before it.
    assert twenty - one <= 19 * 3, (none, one, twenty)


def test_a_request_body_over_the_limit_is_413_json(api, world):
    r = api.client.post("/api/v1/tickets", data=b"{" + b" " * (2 * 1024 * 1024) + b"}",
                        headers={"Authorization": f"Bearer {api.tokens['boss']}", "Content-Type": "application/json"})
    _assert_json_error(r, 413)


def test_a_read_does_not_wait_for_a_writer(app, api, world):
    """A GET while another transaction is writing (on SQLite: holds the one write lock) answers
    without waiting for it."""
    api.post("/api/v1/tickets", json=ticket_body())
    done = threading.Event()
    results = []

    def read():
        results.append(api.get("/api/v1/tickets").status_code)
        done.set()

    with app.app_context():
        with db.engine.connect() as writer:
            # Outside a request a transaction begins as a writer: BEGIN IMMEDIATE on SQLite.
            writer.execute(text("UPDATE tickets SET subject = 'being edited'"))
            reader = threading.Thread(target=read, daemon=True)
            reader.start()
            finished_while_locked = done.wait(20)  # well under the 30 s busy timeout
            writer.rollback()
    reader.join(40)
    assert finished_while_locked and results == [200]


# ---------------------------------------------------------------- redirects and headers

@pytest.mark.parametrize("target", ["/%09/evil.example", "/%0A/evil.example", "/%0D%0A/evil.example", "//evil.example",
                                    "/\\evil.example", "https://evil.example", "/%2F/evil.example", " //evil.example"])
def test_next_never_leaves_the_site(client, world, target):
    r = client.get(f"/lang/en?next={target}")
    assert r.status_code == 302
    location = r.headers["Location"]
    assert location.startswith("/") and not re.match(r"^/[\s/\\]", location.replace("%09", "\t")), location
    token = csrf_from(client.get("/login").get_data(as_text=True))
    r = client.post(f"/login?next={target}", data={"email": "anna@test.cc", "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 302 and r.headers["Location"] == "/desk/?view=mine", r.headers["Location"]  # her work
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/desk/").get_data(as_text=True))})


def test_pages_carry_security_headers_and_no_inline_script(app, client, world):
    login(client, "boss@test.cc")
    for path in ("/submit", "/login", "/desk/", "/desk/queue", "/wallboard", "/desk/phone"):
        r = client.get(path)
        csp = r.headers.get("Content-Security-Policy", "")
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp, path
        assert r.headers["X-Content-Type-Options"] == "nosniff" and r.headers["Referrer-Policy"], path
        html = r.get_data(as_text=True)
        assert not re.search(r"\son[a-z]+\s*=", html), (path, re.findall(r"\son[a-z]+\s*=[^>]*", html))
        assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", html), path
        assert not re.search(r"\sstyle\s*=", html), (path, re.findall(r"\sstyle\s*=[^>]*", html))


def test_staff_pages_are_not_cached(client, world):
    login(client, "anna@test.cc")
    assert client.get("/desk/").headers["Cache-Control"] == "no-store"


# ---------------------------------------------------------------- sessions and sign-in

def test_logout_is_a_post_and_a_copied_session_cookie_dies_with_it(app, client, world):
    login(client, "anna@test.cc")
    stolen = client.get_cookie("session").value
    assert client.get("/logout").status_code == 405
    page = client.get("/desk/").get_data(as_text=True)
    assert client.post("/logout", data={"csrf_token": csrf_from(page)}).status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    r = thief.get("/desk/")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_signing_in_gives_a_new_session_and_a_new_csrf_token(app, client, world):
    before = csrf_from(client.get("/login").get_data(as_text=True))
    cookie_before = client.get_cookie("session").value
    client.post("/login", data={"email": "anna@test.cc", "password": PASSWORD, "csrf_token": before})
    after = csrf_from(client.get("/desk/").get_data(as_text=True))
    assert after != before and client.get_cookie("session").value != cookie_before
    fixed = app.test_client()  # a session planted before sign-in is not the signed-in one
    fixed.set_cookie("session", cookie_before)
    assert fixed.get("/desk/").status_code == 302


def test_an_account_is_locked_out_after_failed_sign_ins_from_any_address(app, client, world):
    def attempt(password, address):
        token = csrf_from(client.get("/login").get_data(as_text=True))
        return client.post("/login", data={"email": "anna@test.cc", "password": password, "csrf_token": token},
                           environ_base={"REMOTE_ADDR": address})

    for i in range(app.config["LOGIN_FAILURES_BEFORE_LOCKOUT"]):
        assert attempt("wrong-password", f"10.0.0.{i}").status_code == 400
    r = attempt(PASSWORD, "10.0.9.9")  # even the right password, from a new address
    assert r.status_code == 429 and "minutes" in r.get_data(as_text=True)
    token = csrf_from(client.get("/login").get_data(as_text=True))
    r = client.post("/login", data={"email": "bert@test.cc", "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 302  # another account is not locked


def test_an_unknown_email_costs_the_same_password_check_as_a_known_one(app, client, world, monkeypatch):
    from werkzeug import security

    import callcenter.auth.models as models
    import callcenter.auth.services as services

    calls = []
    real = security.check_password_hash
    counting = lambda h, p: calls.append(h) or real(h, p)  # noqa: E731
    monkeypatch.setattr(models, "check_password_hash", counting)
    monkeypatch.setattr(services, "check_password_hash", counting, raising=False)
    for email in ("anna@test.cc", "nobody@test.cc"):
        token = csrf_from(client.get("/login").get_data(as_text=True))
        client.post("/login", data={"email": email, "password": "wrong-password", "csrf_token": token})
    assert len(calls) == 2 and calls[0].split("$")[0] == calls[1].split("$")[0]  # one hash check each, same method


def test_agents_get_403_on_the_rule_forms(client, world):
    login(client, "anna@test.cc")
    assert client.get("/desk/routing-rules/new").status_code == 403
    assert client.get("/desk/routing-rules/1").status_code in (403, 404)


# ---------------------------------------------------------------- API tokens

def test_tokens_are_listed_revoked_and_expire_and_their_use_is_recorded(app, api, world):
    from callcenter.auth.models import ApiToken

    runner = app.test_cli_runner()
    token = runner.invoke(args=["tokens", "create", "anna@test.cc", "--label", "crm", "--expires-days", "30"]).stdout.strip()
    assert api.client.get("/api/v1/tickets", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    listed = runner.invoke(args=["tokens", "list", "anna@test.cc"]).stdout
    assert "crm" in listed and token not in listed
    with app.app_context():
        row = db.session.scalar(select(ApiToken).where(ApiToken.label == "crm"))
        assert row.last_used_at is not None and row.expires_at is not None
        token_id = row.id
    assert runner.invoke(args=["tokens", "revoke", str(token_id)]).exit_code == 0
    _assert_json_error(api.client.get("/api/v1/tickets", headers={"Authorization": f"Bearer {token}"}), 401)
    expired = runner.invoke(args=["tokens", "create", "anna@test.cc", "--expires-days", "1"]).stdout.strip()
    with app.app_context():
        newest = db.session.scalar(select(ApiToken).order_by(ApiToken.id.desc()))
        newest.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    _assert_json_error(api.client.get("/api/v1/tickets", headers={"Authorization": f"Bearer {expired}"}), 401)


def test_admins_list_and_revoke_tokens_on_a_page(app, client, api, world):
    login(client, "admin@test.cc")
    page = client.get("/desk/tokens").get_data(as_text=True)
    assert "anna@test.cc" in page and world.tokens["anna"] not in page
    token_id = re.search(r'data-token-id="(\d+)"[^>]*data-user="anna@test.cc"', page).group(1)
    r = client.post(f"/desk/tokens/{token_id}/revoke", data={"csrf_token": csrf_from(page)})
    assert r.status_code == 302
    _assert_json_error(api.get("/api/v1/tickets", who="anna"), 401)
    client.post("/logout", data={"csrf_token": csrf_from(page)})
    login(client, "boss@test.cc")
    assert client.get("/desk/tokens").status_code == 403


# ---------------------------------------------------------------- the OpenAPI document

def test_the_openapi_document_describes_the_errors_the_api_sends(client):
    spec = client.get("/api/v1/openapi.json").json
    schemas = spec["components"]["schemas"]
    error = schemas["Error"]
    assert set(error["properties"]) == {"error"}
    assert set(schemas[error["properties"]["error"]["$ref"].rsplit("/", 1)[1]]["properties"]) == {
        "code", "message", "details"}
    create = spec["paths"]["/api/v1/tickets"]["post"]["responses"]
    for status in ("401", "403", "422"):
        name = create[status]["$ref"].rsplit("/", 1)[1]
        assert spec["components"]["responses"][name]["content"]["application/json"]["schema"]["$ref"] == \
            "#/components/schemas/Error", status


def test_405_names_the_allowed_methods(api, world):
    r = api.client.delete("/api/v1/tickets", headers={"Authorization": f"Bearer {api.tokens['boss']}"})
    _assert_json_error(r, 405)
    assert set(r.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


def test_the_openapi_document_states_the_constraints_the_server_enforces(client):
    schemas = client.get("/api/v1/openapi.json").json["components"]["schemas"]
    subject = schemas["TicketCreate"]["properties"]["subject"]
    assert subject["minLength"] == 1 and subject["maxLength"] == 200
    assert "categories" in schemas["TicketCreate"]["properties"]["category"]["description"]
    assert schemas["TicketCreate"]["properties"]["promises"]["maxItems"] == 20
    weekly = schemas["WeeklyHours"]
    assert set(weekly["properties"]) == {str(d) for d in range(7)} and weekly["additionalProperties"] is False
    kind = schemas["RuleMatch"]["properties"]["kind"]["oneOf"]
    assert kind[0]["enum"] == ["complaint", "service_request", "inquiry"] and kind[1]["items"] == kind[0]
