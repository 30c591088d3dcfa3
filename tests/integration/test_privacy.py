"""Export everything held about a customer, erase them, and retention: from the API, a page and the CLI."""
import json
from datetime import timedelta

from sqlalchemy import String, Text, func, select

from callcenter.customers.models import Customer, PrivacyLog
from callcenter.db_types import utcnow
from callcenter.extensions import db
from callcenter.sla.models import SlaClock
from callcenter.tickets.models import Ticket, TicketEvent
from tests.factories import csrf_from, login, logout, run_jobs, ticket_body

NAME, PHONE, EMAIL = "刘洋", "+86 138-0013-8000", "Liu.Yang@example.cn"
FOUND_AS = ("刘洋", "13800138000", "138 0013 8000", "138-0013-8000", "liu.yang@example.cn")


def _close(api, tid, resolution=None):
    """On to closed from wherever the ticket is."""
    while (status := api.get(f"/api/v1/tickets/{tid}").json["status"]) != "closed":
        to = {"new": "in_progress", "resolved": "closed"}.get(status, "resolved")
        body = {"to": to, **({"resolution": resolution} if resolution and to == "closed" else {})}
        assert api.post(f"/api/v1/tickets/{tid}/transitions", json=body).status_code == 200


def _person(app, api, client):
    """A customer with everything a desk holds about someone: tickets, replies quoting her name and
    number, a note, a promise, her own replies, mail sent to her, a web ticket suggested as hers."""
    first = api.post("/api/v1/tickets", json=ticket_body(
        kind="inquiry", subject="账单问题", description=f"{NAME}来电，号码 138 0013 8000",
        customer={"name": NAME, "phone": PHONE, "email": EMAIL})).json
    second = api.post("/api/v1/tickets", json=ticket_body(
        kind="complaint", subject="宽带断线", category="network", customer={"name": NAME, "phone": "13800138000"})).json
    cid = first["customer"]["id"]
    api.post(f"/api/v1/tickets/{first['id']}/messages", json={"body": f"{NAME}您好，我们会打 138-0013-8000 联系您"})
    api.post(f"/api/v1/tickets/{first['id']}/messages", json={"body": "internal: mail liu.yang@example.cn", "internal": True})
    api.post(f"/api/v1/tickets/{second['id']}/promises", json={"description": f"明天回电{NAME}",
                                                             "due_at": (utcnow() + timedelta(days=1)).isoformat()})
    token = csrf_from(client.get("/submit").get_data(as_text=True))
    location = client.post("/submit", data={"csrf_token": token, "kind": "inquiry", "name": "刘女士",
                                            "phone": "13800138000", "email": "", "category": "billing",
                                            "subject": "again", "description": "my bill again"}).headers["Location"]
    page = client.get(location).get_data(as_text=True)
    client.post(location + "/reply", data={"body": f"我是{NAME}，电话13800138000", "csrf_token": csrf_from(page)})
    _close(api, first["id"], {"summary": f"已向{NAME}退款", "root_cause": "重复扣费", "department": "账务部"})
    run_jobs(app)  # the mail to her goes out
    other = api.post("/api/v1/tickets", json=ticket_body(
        subject="not hers", customer={"name": "周强", "phone": "13700001111", "email": "zq@example.cn"})).json
    return cid, other


def _text_columns(app):
    """Every value of every text column of every table."""
    with app.app_context():
        for table in db.metadata.sorted_tables:
            for column in table.columns:
                if isinstance(column.type, (String, Text)) or column.type.__class__.__name__ == "JSON":
                    for (value,) in db.session.execute(select(column)).all():
                        if value is not None:
                            yield f"{table.name}.{column.name}", json.dumps(value, ensure_ascii=False) \
                                if not isinstance(value, str) else value


def _statistics(app, api):
    with app.app_context():
        tickets = db.session.execute(select(
            Ticket.id, Ticket.status, Ticket.priority, Ticket.kind, Ticket.channel, Ticket.category_code,
            Ticket.team_id, Ticket.assignee_id, Ticket.created_at, Ticket.first_response_at, Ticket.resolved_at,
            Ticket.closed_at, Ticket.reopen_count, Ticket.sla_state, Ticket.customer_id).order_by(Ticket.id)).all()
        clocks = db.session.execute(select(SlaClock.ticket_id, SlaClock.name, SlaClock.state, SlaClock.due_at)
                                    .order_by(SlaClock.id)).all()
        tiers = db.session.execute(select(Customer.id, Customer.tier).order_by(Customer.id)).all()
    board = api.get("/api/v1/kpi/sla-board").json
    board.pop("generated_at", None)
    board["queue"].pop("oldest_wait_seconds")  # grows with the clock, not with the data
    return tickets, clocks, tiers, board


def test_export_holds_everything_about_the_person_and_is_audited(app, api, client, world):
    cid, _other = _person(app, api, client)
    assert api.get(f"/api/v1/customers/{cid}/export", who="boss").status_code == 403  # admins only
    r = api.get(f"/api/v1/customers/{cid}/export", who="admin")
    assert r.status_code == 200 and "attachment" in r.headers["Content-Disposition"]
    data = r.json
    assert data["customer"]["name"] == NAME and data["customer"]["email"] == EMAIL
    assert len(data["tickets"]) == 3  # two of hers and the web ticket suggested as hers
    everything = json.dumps(data, ensure_ascii=False)
    for text in ("138-0013-8000 联系您", "internal: mail", "明天回电", "电话13800138000", "我们会打"):
        assert text in everything, text
    assert any(t["messages_sent_to_customer"] for t in data["tickets"])
    assert "/t/" not in everything  # no working link in an export
    assert "not hers" not in everything
    html = api.get(f"/api/v1/customers/{cid}/export?format=html", who="admin",
                   headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert NAME in html and "账单问题" in html and "<script" not in html
    with app.app_context():
        assert db.session.scalars(select(PrivacyLog.action).where(PrivacyLog.customer_id == cid)).all() == \
            ["export", "export"]


def test_erasure_leaves_the_person_in_no_table_and_the_statistics_as_they_were(app, api, client, world):
    cid, other = _person(app, api, client)
    before = _statistics(app, api)
    leaks = [(where, v) for where, v in _text_columns(app) if any(f.lower() in v.lower() for f in FOUND_AS)]
    assert leaks, "the scene holds her data before the erasure"
    assert api.post(f"/api/v1/customers/{cid}/erase", who="boss").status_code == 403
    r = api.post(f"/api/v1/customers/{cid}/erase", who="admin")
    assert r.status_code == 200 and r.json["tickets_anonymised"] == 3
    leaks = [(where, v) for where, v in _text_columns(app) if any(f.lower() in v.lower() for f in FOUND_AS)]
    assert leaks == []
    assert _statistics(app, api) == before
    kept = api.get(f"/api/v1/tickets/{other['id']}").json
    assert kept["subject"] == "not hers" and kept["contact"]["name"] == "周强"
    with app.app_context():
        assert db.session.get(Customer, cid).erased_at is not None
        assert db.session.scalars(select(PrivacyLog.action).where(PrivacyLog.customer_id == cid)).all() == ["erase"]
        assert db.session.scalar(select(func.count(TicketEvent.id)).where(
            TicketEvent.kind == "personal_data_erased")) == 3
    assert api.get(f"/api/v1/customers/{cid}/export", who="admin").json["tickets"][0]["subject"] == "[erased]"


def test_an_erased_persons_status_links_stop_working(app, api, client, world):
    token = csrf_from(client.get("/submit").get_data(as_text=True))
    location = client.post("/submit", data={"csrf_token": token, "kind": "inquiry", "name": "王芳",
                                            "phone": "13911112222", "email": "", "category": "billing",
                                            "subject": "s", "description": "a question"}).headers["Location"]
    cid = api.get("/api/v1/tickets").json["items"][0]["customer"]["id"]
    assert api.post(f"/api/v1/customers/{cid}/erase", who="admin").status_code == 200
    assert client.get(location).status_code == 404


def test_admins_export_and_erase_from_the_customer_page(app, api, client, world):
    cid, _other = _person(app, api, client)
    logout(client)
    login(client, "boss@test.cc")
    assert "export (JSON)" not in client.get(f"/desk/customers/{cid}").get_data(as_text=True)
    assert client.get(f"/desk/customers/{cid}/export.json").status_code == 403
    logout(client)
    login(client, "admin@test.cc")
    page = client.get(f"/desk/customers/{cid}").get_data(as_text=True)
    assert "export (JSON)" in page and "erase" in page
    assert json.loads(client.get(f"/desk/customers/{cid}/export.json").get_data())["customer"]["name"] == NAME
    assert NAME in client.get(f"/desk/customers/{cid}/export.html").get_data(as_text=True)
    confirm = client.get(f"/desk/customers/{cid}/erase").get_data(as_text=True)
    assert 'name="confirm"' in confirm
    r = client.post(f"/desk/customers/{cid}/erase", data={"csrf_token": csrf_from(confirm)})
    assert r.status_code == 200 and "Tick the box" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Customer, cid).erased_at is None
    r = client.post(f"/desk/customers/{cid}/erase", data={"csrf_token": csrf_from(confirm), "confirm": "yes"})
    assert r.status_code == 302
    with app.app_context():
        assert db.session.get(Customer, cid).erased_at is not None
    assert "Erased customer" in client.get(f"/desk/customers/{cid}").get_data(as_text=True)


def test_the_command_line_exports_and_erases(app, api, client, world, tmp_path):
    cid, _other = _person(app, api, client)
    runner = app.test_cli_runner()
    out = tmp_path / "export.html"
    r = runner.invoke(args=["customers", "export", str(cid), "--format", "html", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert NAME in out.read_text() and "个人数据" in out.read_text()  # the readable file, in Chinese
    r = runner.invoke(args=["customers", "export", str(cid)])
    assert r.exit_code == 0 and json.loads(r.stdout)["customer"]["name"] == NAME
    r = runner.invoke(args=["customers", "erase", str(cid)], input="n\n")
    assert r.exit_code != 0
    r = runner.invoke(args=["customers", "erase", str(cid), "--yes"])
    assert r.exit_code == 0, r.output
    with app.app_context():
        assert db.session.get(Customer, cid).name == ""
        assert [p.actor_name for p in db.session.scalars(select(PrivacyLog).where(PrivacyLog.customer_id == cid))] \
            == ["command line"] * 3
    assert runner.invoke(args=["customers", "erase", "99999", "--yes"]).exit_code != 0


def test_retention_anonymises_old_closed_tickets_in_a_real_worker_and_keeps_recent_ones(app, api, world, redis):
    from rq import Queue

    from tests import factories

    long_ago = utcnow() - timedelta(days=app.config["RETENTION_DAYS"] + 1)
    with app.app_context():  # made and closed back then, by the same code as today's
        made = {}
        for name, when, customer in (("old one", long_ago, {"name": "吴芳", "phone": "15800002222"}),
                                     ("recent one", utcnow(), {"name": "吴芳", "phone": "15800002222"}),
                                     ("alone", long_ago, {"name": "Mark Davis", "email": "mark@example.com"})):
            ticket = factories.ticket_at(world, when, kind="inquiry", subject=name, customer=customer)
            factories.moved(world, ticket.id, when, "in_progress", "resolved", "closed")
            made[name] = {"id": ticket.id, "customer": {"id": ticket.customer_id}}
    old, recent, alone = made["old one"], made["recent one"], made["alone"]
    Queue("low", connection=app.extensions["callcenter.rq_redis"]).enqueue("callcenter.privacy.jobs.retention")
    run_jobs(app)
    assert api.get(f"/api/v1/tickets/{old['id']}").json["subject"] == "[erased]"
    assert api.get(f"/api/v1/tickets/{recent['id']}").json["subject"] == "recent one"
    with app.app_context():
        assert db.session.get(Customer, old["customer"]["id"]).name == "吴芳"  # she still has a recent ticket
        assert db.session.get(Customer, alone["customer"]["id"]).erased_at is not None  # nothing left of his
        assert db.session.scalar(select(PrivacyLog.details).where(PrivacyLog.action == "retention")) == \
            {"tickets": 2, "customers": 1, "days": app.config["RETENTION_DAYS"]}
