"""Readable test data, built through the real services."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from callcenter.actions import accounts, directory, tickets
from callcenter.actors import Actor
from callcenter.auth.models import Presence, User
from callcenter.directory.lookups import team_by_name
from callcenter.extensions import db
from callcenter.tickets.models import Category

PASSWORD = "correct-horse-9"


@dataclass
class World:
    users: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    teams: dict[str, int] = field(default_factory=dict)

    def id(self, who: str) -> int:
        return self.users[who]


def make_user(email: str, role: str = "agent", teams=(), skills=None, capacity: int = 5,
              languages=("zh", "en"), presence: str = "offline") -> User:
    """A user; offline unless asked, so routing leaves new tickets alone in tests about other things.
    Teams and skills named are set up first, as an admin would before adding the person."""
    directory.ensure_catalogue(list(teams), list(skills or {}))
    user = accounts.create_user(email, PASSWORD, role, name=email.split("@")[0].title(), teams=list(teams),
                            skills=skills or {}, capacity=capacity, languages=list(languages))
    user.presence = Presence(presence)
    db.session.commit()
    return user


def build_world() -> World:
    w = World()
    people = {
        "admin": ("admin@test.cc", "admin", []),
        "boss": ("boss@test.cc", "supervisor", ["Billing", "Network"]),
        "anna": ("anna@test.cc", "agent", ["Billing"]),
        "bert": ("bert@test.cc", "agent", ["Billing"]),
        "nina": ("nina@test.cc", "agent", ["Network"]),
    }
    for key, (email, role, teams) in people.items():
        user = make_user(email, role, teams, skills={"billing": 3} if "Billing" in teams else {"network": 4})
        w.users[key] = user.id
        w.tokens[key] = accounts.create_token(user)
    for name in ("Billing", "Network"):
        w.teams[name] = team_by_name(name).id
    db.session.add_all([
        Category(code="billing", name_en="Billing", name_zh="账单", team_id=w.teams["Billing"], required_skills={"billing": 1}, position=0),
        Category(code="network", name_en="Network", name_zh="网络", team_id=w.teams["Network"], required_skills={"network": 1}, position=1),
        Category(code="other", name_en="Other", name_zh="其他", position=2),
    ])
    db.session.commit()
    return w


def ticket_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "kind": "complaint", "channel": "api", "subject": "Charged twice", "category": "billing",
        "description": "My October bill was charged twice.",
        "customer": {"name": "刘洋", "phone": "+86 138 0013 8000", "email": "liu@example.cn"},
    }
    body.update(overrides)
    return body


def create_ticket(world: World, by: str = "boss", **overrides: Any):
    user = db.session.get(User, world.id(by))
    ticket, _ = tickets.create_ticket(ticket_body(**overrides), Actor.of_user(user))
    return ticket


class ApiClient:
    """A test client that signs every request with one of the world's tokens."""

    def __init__(self, client, tokens: dict[str, str]):
        self.client, self.tokens = client, tokens

    def _headers(self, who: str | None, headers: dict | None) -> dict:
        h = dict(headers or {})
        if who:
            h["Authorization"] = f"Bearer {self.tokens[who]}"
        return h

    def get(self, path: str, who: str | None = "boss", **kw):
        return self.client.get(path, headers=self._headers(who, kw.pop("headers", None)), **kw)

    def post(self, path: str, json=None, who: str | None = "boss", **kw):
        return self.client.post(path, json=json, headers=self._headers(who, kw.pop("headers", None)), **kw)

    def put(self, path: str, json=None, who: str | None = "boss", **kw):
        return self.client.put(path, json=json, headers=self._headers(who, kw.pop("headers", None)), **kw)

    def patch(self, path: str, json=None, who: str | None = "boss", **kw):
        return self.client.patch(path, json=json, headers=self._headers(who, kw.pop("headers", None)), **kw)


def csrf_from(html: str) -> str:
    import re

    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no csrf_token in the page"
    return match.group(1)


def login(client, email: str, password: str = PASSWORD):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def run_jobs(app) -> None:
    """Run every queued RQ job with a real worker (burst), as `flask worker` would."""
    import redis
    from rq import SimpleWorker

    conn = redis.Redis.from_url(app.config["REDIS_URL"])
    with app.app_context():
        SimpleWorker(app.config["RQ_QUEUES"], connection=conn).work(burst=True)


def set_presence(user_id: int, state: str) -> None:
    """Presence straight in the database (no routing triggered): for arranging a scene."""
    user = db.session.get(User, user_id)
    user.presence = Presence(state)
    db.session.commit()


def logout(client) -> None:
    """Sign out as the header's button does: a POST with the page's CSRF token."""
    page = client.get("/desk/")
    if page.status_code == 200:
        assert client.post("/logout", data={"csrf_token": csrf_from(page.get_data(as_text=True))}).status_code == 302


# ---------------------------------------------------------------- entities as of a time
# Actions take `now`: a ticket created, moved or offered "yesterday" is made by the same code
# as one made today, instead of editing rows by hand to age them.

def actor_of(world: World, who: str) -> Actor:
    return Actor.of_user(db.session.get(User, world.id(who)))


def ticket_at(world: World, when, by: str = "boss", **overrides: Any):
    """A ticket created at `when` (its clocks start then)."""
    ticket, _ = tickets.create_ticket(ticket_body(**overrides), actor_of(world, by), now=when)
    return ticket


def moved(world: World, ticket_id: int, when, *statuses: str, by: str = "boss", **kw: Any):
    """The ticket walked through these statuses at `when` (closing a complaint needs kw resolution=)."""
    for to in statuses:
        tickets.transition(ticket_id, to, actor_of(world, by), now=when, **kw)


def policy(name: str = "policy", *, first: int = 1800, resolution: int = 14400, match: dict | None = None,
           calendar: str = "24x7", position: int = 100, warn_at=(0.75, 0.9), escalation=None):
    """An SLA policy, as the admin API would save it."""
    from callcenter.sla.models import DEFAULT_ESCALATION, SlaPolicy

    row = SlaPolicy(name=name, match=match or {}, calendar=calendar, position=position, warn_at=list(warn_at),
                    targets={"first_response_seconds": first, "resolution_seconds": resolution},
                    escalation=list(DEFAULT_ESCALATION if escalation is None else escalation))
    db.session.add(row)
    db.session.commit()
    return row


def offer(ticket_id: int, agent_id: int, when, timeout_seconds: int = 30):
    """An open offer of the ticket to the agent, made at `when`."""
    from datetime import timedelta

    from callcenter.routing.models import Offer

    row = Offer(ticket_id=ticket_id, agent_id=agent_id, offered_at=when,
                expires_at=when + timedelta(seconds=timeout_seconds))
    db.session.add(row)
    db.session.commit()
    return row


def agent(email: str, *, teams=(), skills=None, capacity: int = 5, presence: str = "available",
          last_assigned_at=None) -> User:
    """An agent ready to route to, with when they last got work (fairness) if it matters."""
    user = make_user(email, "agent", teams, skills=skills, capacity=capacity, presence=presence)
    user.last_assigned_at = last_assigned_at
    db.session.commit()
    return user


def answered(world: World, ticket_id: int, who: str, when, by: str = "boss"):
    """The ticket given to `who` at `when` (its answer, if it is the first)."""
    from callcenter.actions import assignment

    return assignment.assign(ticket_id, world.id(who), actor_of(world, by), now=when)


def replied(world: World, ticket_id: int, who: str, when, body: str = "we are on it"):
    """A public reply by `who` at `when`."""
    return tickets.add_message(ticket_id, body, False, actor_of(world, who), now=when)
