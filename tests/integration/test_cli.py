"""The CLI commands of the contract, run through Flask's CLI runner."""
from sqlalchemy import func, select

from callcenter.auth.models import ApiToken, Team, User
from callcenter.auth.services import hash_token
from callcenter.extensions import db
from callcenter.tickets.lifecycle import STATUSES
from callcenter.tickets.models import Ticket, TicketEvent


def test_users_create_reads_the_password_from_stdin(app):
    runner = app.test_cli_runner()
    r = runner.invoke(args=["users", "create", "Mei@Example.cn", "--role", "agent", "--name", "梅", "--team", "Billing",
                            "--team", "VIP Care", "--skills", "billing:4,network:2", "--capacity", "3",
                            "--language", "zh,en"], input="s3cret-pass\n")
    assert r.exit_code == 0, r.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "mei@example.cn"))
        assert user.name == "梅" and user.capacity == 3 and user.languages == ["zh", "en"]
        assert sorted(t.name for t in user.teams) == ["Billing", "VIP Care"]
        assert user.skill_levels == {"billing": 4, "network": 2}
        assert user.check_password("s3cret-pass") and "s3cret-pass" not in user.password_hash
    # The operator named them on purpose: the command created them, and said so.
    assert "created team Billing" in r.stderr and "created team VIP Care" in r.stderr
    assert "added skill billing" in r.stderr and "added skill network" in r.stderr


def test_teams_create_makes_a_team_and_refuses_a_second_of_the_same_name(app):
    runner = app.test_cli_runner()
    r = runner.invoke(args=["teams", "create", "Retention", "--offer-mode"])
    assert r.exit_code == 0 and "created team Retention" in r.stderr, r.output
    assert runner.invoke(args=["teams", "create", "retention"]).exit_code != 0
    with app.app_context():
        team = db.session.scalar(select(Team).where(Team.name == "Retention"))
        assert team.offer_mode is True


def test_users_create_refuses_bad_input_with_a_message(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["users", "create", "a@b.c", "--role", "agent"], input="short\n").exit_code != 0
    r = runner.invoke(args=["users", "create", "a@b.c", "--role", "agent", "--skills", "billing:9"], input="longenough\n")
    assert r.exit_code != 0 and "1 to 5" in r.output
    assert runner.invoke(args=["users", "create", "a@b.c", "--role", "king"], input="longenough\n").exit_code != 0
    runner.invoke(args=["users", "create", "a@b.c", "--role", "agent"], input="longenough\n")
    r = runner.invoke(args=["users", "create", "A@b.c", "--role", "agent"], input="longenough\n")
    assert r.exit_code != 0 and "exists" in r.output


def test_tokens_create_prints_only_a_working_token(app):
    runner = app.test_cli_runner()  # Click 8.2+: result.stdout holds stdout alone
    runner.invoke(args=["users", "create", "t@x.cn", "--role", "supervisor"], input="longenough\n")
    r = runner.invoke(args=["tokens", "create", "t@x.cn"])
    assert r.exit_code == 0
    token = r.stdout.strip()
    assert token.startswith("cc_") and "\n" not in token
    with app.app_context():
        assert db.session.scalar(select(ApiToken.token_hash)) == hash_token(token)
    assert app.test_client().get("/api/v1/tickets", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert runner.invoke(args=["tokens", "create", "nobody@x.cn"]).exit_code != 0


def test_seed_demo_is_idempotent_and_covers_every_status(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "admin@demo.callcenter" in first.output
    with app.app_context():
        counts = (db.session.scalar(select(func.count(User.id))), db.session.scalar(select(func.count(Ticket.id))))
        statuses = set(db.session.scalars(select(Ticket.status)).all())
        assert {s.value for s in statuses} == set(STATUSES)
        assert db.session.scalar(select(func.count(TicketEvent.id))) > counts[1]
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context():
        assert (db.session.scalar(select(func.count(User.id))), db.session.scalar(select(func.count(Ticket.id)))) == counts
