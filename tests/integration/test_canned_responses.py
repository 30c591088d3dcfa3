"""Canned responses: who sees and who manages which, the management page's messages, and the
picker's list for a ticket with its placeholders filled in."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from callcenter.actions import replies as reply_actions
from callcenter.actions import tickets
from callcenter.extensions import db
from callcenter.replies.models import CannedResponse
from callcenter.tickets.models import Ticket
from tests.factories import actor_of, create_ticket, csrf_from, login


@pytest.fixture
def as_user(app):
    """A test client signed in as one of the world's people (by key: anna, boss, ...)."""
    def make(who: str):
        client = app.test_client()
        assert login(client, f"{who}@test.cc").status_code == 302
        return client
    return make


def _post(client, path: str, **data):
    token = csrf_from(client.get("/desk/canned").get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **data})


def _new(client, **fields):
    data = {"title": "Greeting", "shortcut": "hi", "language": "en", "where": "personal",
            "body": "Hello {customer_name}"}
    data.update(fields)
    return _post(client, "/desk/canned", **data)


def _made(app, **kw) -> CannedResponse:
    with app.app_context():
        return db.session.scalar(select(CannedResponse).filter_by(**kw))


def _picker(client, ticket_id: int, q: str = ""):
    return client.get(f"/desk/canned/for/{ticket_id}" + (f"?q={q}" if q else ""))


def _shortcuts(response) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [item["shortcut"] for item in response.get_json()["items"]]


@pytest.fixture
def billing_ticket(app, world):
    with app.app_context():
        return create_ticket(world, language="zh").id


def test_a_personal_response_is_seen_by_its_owner_only(app, world, as_user, billing_ticket):
    anna = as_user("anna")
    assert _new(anna, shortcut="mine", body="Anna's own words").status_code == 302
    row = _made(app, shortcut="mine")
    assert row.scope.value == "personal" and row.owner_id == world.id("anna")

    assert _shortcuts(_picker(anna, billing_ticket)) == ["mine"]
    assert "Anna&#39;s own words" in anna.get("/desk/canned").get_data(as_text=True)
    for other in ("bert", "boss", "admin"):  # a teammate, her supervisor, an admin: private is private
        client = as_user(other)
        assert "mine" not in _shortcuts(_picker(client, billing_ticket))
        assert "Anna&#39;s own words" not in client.get("/desk/canned").get_data(as_text=True)
        assert client.get(f"/desk/canned/{row.id}/edit").status_code == 404
        assert _post(client, f"/desk/canned/{row.id}/delete").status_code == 404


def test_another_teams_responses_are_not_offered(app, world, as_user, billing_ticket):
    boss = as_user("boss")
    assert _new(boss, shortcut="net", where=f"team:{world.teams['Network']}", body="Network words").status_code == 302
    assert _new(boss, shortcut="bill", where=f"team:{world.teams['Billing']}", body="Billing words").status_code == 302

    anna = as_user("anna")  # Billing
    assert _shortcuts(_picker(anna, billing_ticket)) == ["bill"]
    page = anna.get("/desk/canned").get_data(as_text=True)
    assert "Billing words" in page and "Network words" not in page
    assert "Network words" in as_user("nina").get("/desk/canned").get_data(as_text=True)
    # an admin (in no team) working the Billing ticket gets the Billing team's, not the Network team's
    assert _shortcuts(_picker(as_user("admin"), billing_ticket)) == ["bill"]


def test_who_may_manage_which(app, world, as_user):
    billing, network = world.teams["Billing"], world.teams["Network"]
    anna, boss, admin = as_user("anna"), as_user("boss"), as_user("admin")
    assert _new(anna, shortcut="a1", where="site").status_code == 403  # agents: their own only
    assert _new(anna, shortcut="a2", where=f"team:{billing}").status_code == 403
    assert _new(boss, shortcut="b1", where="site").status_code == 403  # supervisors: their teams'
    assert _new(boss, shortcut="b2", where=f"team:{billing}").status_code == 302
    assert _new(admin, shortcut="s1", where="site").status_code == 302
    assert _new(admin, shortcut="t1", where=f"team:{network}").status_code == 302
    assert _made(app, shortcut="a1") is None and _made(app, shortcut="b1") is None

    team_row, site_row = _made(app, shortcut="b2"), _made(app, shortcut="s1")
    # anna uses both, changes neither
    for row in (team_row, site_row):
        assert anna.get(f"/desk/canned/{row.id}/edit").status_code == 403
        assert _post(anna, f"/desk/canned/{row.id}/delete").status_code == 403
    assert boss.get(f"/desk/canned/{site_row.id}/edit").status_code == 403
    # a supervisor may not move a team's response to the whole site
    edit = {"title": "T", "shortcut": "b2", "language": "en", "body": "x"}
    assert _post(boss, f"/desk/canned/{team_row.id}/edit", where="site", **edit).status_code == 403
    assert _post(boss, f"/desk/canned/{team_row.id}/edit", where=f"team:{billing}", **edit).status_code == 302
    assert _made(app, id=team_row.id).body == "x"
    assert _post(admin, f"/desk/canned/{team_row.id}/delete").status_code == 302
    assert _made(app, id=team_row.id) is None
    # the page offers each person only where they may save
    page = boss.get("/desk/canned").get_data(as_text=True)
    assert f'value="team:{billing}"' in page and 'value="site"' not in page
    assert 'value="team:' not in anna.get("/desk/canned").get_data(as_text=True)


@pytest.mark.parametrize("fields, field, words", [
    ({"title": ""}, "title", "Give it a title."),
    ({"shortcut": "two words"}, "shortcut", "One word"),
    ({"shortcut": ""}, "shortcut", "Give it a shortcut word."),
    ({"body": "Dear {custmer_name}"}, "body", "Unknown placeholder: {custmer_name}"),
    ({"body": "   "}, "body", "Write the text of the response."),
    ({"language": "fr"}, "language", "Choose Chinese or English."),
])
def test_a_refused_response_says_why_under_its_field(app, world, as_user, fields, field, words):
    anna = as_user("anna")
    response = _new(anna, **fields)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f'data-error-for="{field}"' in html and words in html
    assert db_count(app) == 0


def db_count(app) -> int:
    with app.app_context():
        return len(db.session.scalars(select(CannedResponse.id)).all())


def test_a_shortcut_is_unique_within_its_scope_only(app, world, as_user):
    anna, bert = as_user("anna"), as_user("bert")
    assert _new(anna, shortcut="Hi").status_code == 302
    again = _new(anna, shortcut="hi", title="Other")
    assert again.status_code == 400
    assert 'data-error-for="shortcut"' in again.get_data(as_text=True)
    assert "already a shortcut" in again.get_data(as_text=True)
    assert "Other" in again.get_data(as_text=True)  # what was typed is kept
    assert _new(bert, shortcut="hi").status_code == 302  # bert's own scope
    assert _new(as_user("boss"), shortcut="hi", where=f"team:{world.teams['Billing']}").status_code == 302
    assert db_count(app) == 3


def test_the_picker_fills_the_placeholders_for_the_ticket_and_agent(app, world, as_user, billing_ticket):
    due = datetime(2026, 12, 9, 9, 30, tzinfo=timezone.utc)
    with app.app_context():
        boss = actor_of(world, "boss")
        tickets.add_promise(billing_ticket, "later", due + timedelta(days=3), boss)
        tickets.add_promise(billing_ticket, "first", due, boss)  # the earliest open one counts
        reference = db.session.get(Ticket, billing_ticket).reference
        reply_actions.create_canned({"scope": "site", "shortcut": "all", "language": "en", "title": "All",
                                     "body": "{customer_name} / {reference} / {agent_name} / {promise_due}"},
                                    actor_of(world, "admin"))
    anna = as_user("anna")
    anna.get("/lang/en")
    item = _picker(anna, billing_ticket).get_json()["items"][0]
    # in the agent's language and the desk's time zone (Asia/Shanghai, 8 hours ahead)
    assert item["body"] == f"刘洋 / {reference} / Anna / 12/9/26, 5:30\u202fPM"
    assert item["missing"] == []
    anna.get("/lang/zh_CN")
    assert _picker(anna, billing_ticket).get_json()["items"][0]["body"].endswith("/ 2026/12/9 17:30")


def test_a_placeholder_with_nothing_to_fill_stays_visible(app, world, as_user, billing_ticket):
    with app.app_context():
        reply_actions.create_canned({"scope": "site", "shortcut": "due", "language": "zh", "title": "Due",
                                     "body": "我们会在 {promise_due} 前回复"}, actor_of(world, "admin"))
    item = _picker(as_user("anna"), billing_ticket).get_json()["items"][0]
    assert item["body"] == "我们会在 {promise_due} 前回复"
    assert item["missing"] == ["promise_due"]


def test_the_tickets_language_comes_first_and_q_searches(app, world, as_user, billing_ticket):
    with app.app_context():
        admin = actor_of(world, "admin")
        for shortcut, language, title in (("a-en", "en", "Apology"), ("b-zh", "zh", "道歉"), ("c-en", "en", "Closing")):
            reply_actions.create_canned({"scope": "site", "shortcut": shortcut, "language": language, "title": title,
                                         "body": "text"}, admin)
    anna = as_user("anna")
    assert _shortcuts(_picker(anna, billing_ticket)) == ["b-zh", "a-en", "c-en"]  # a zh ticket
    assert _shortcuts(_picker(anna, billing_ticket, "clos")) == ["c-en"]
    assert _shortcuts(_picker(anna, billing_ticket, "a-")) == ["a-en"]


def test_the_picker_refuses_a_ticket_one_may_not_see_as_its_page_does(app, world, as_user, billing_ticket):
    response = _picker(as_user("nina"), billing_ticket)  # Network: the Billing ticket is not hers
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"
    assert _picker(as_user("nina"), 2147483647).status_code == 404
    anonymous = app.test_client().get(f"/desk/canned/for/{billing_ticket}")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_the_reply_form_carries_the_picker(app, world, as_user, billing_ticket):
    html = as_user("anna").get(f"/desk/tickets/{billing_ticket}").get_data(as_text=True)
    assert f'data-url="/desk/canned/for/{billing_ticket}"' in html
    assert 'src="/static/replies.js"' in html and "<script>" not in html


def test_the_picker_names_each_responses_language_in_the_agents_words_not_as_a_code(app, world, as_user,
                                                                                      billing_ticket):
    """The same names the management page and its form use (gettext), never "ZH"/"EN"."""
    with app.app_context():
        admin = actor_of(world, "admin")
        for shortcut, language in (("hi-zh", "zh"), ("hi-en", "en")):
            reply_actions.create_canned({"scope": "site", "shortcut": shortcut, "language": language, "title": "Hi",
                                         "body": "text"}, admin)
    anna = as_user("anna")
    for locale, names in (("zh_CN", {"zh": "中文", "en": "英文"}), ("en", {"zh": "Chinese", "en": "English"})):
        anna.get(f"/lang/{locale}")
        items = _picker(anna, billing_ticket).get_json()["items"]
        assert {i["language"]: i["language_label"] for i in items} == names, locale
        page = anna.get("/desk/canned").get_data(as_text=True)
        assert all(f"<td>{name}</td>" in page for name in names.values()), locale  # one naming, page and picker
