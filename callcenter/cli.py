"""flask --app wsgi users create | teams create | tokens create/list/revoke | customers export/erase | seed-demo | worker"""
from __future__ import annotations

import getpass
import json
import sys

import click
import redis
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from flask_babel import force_locale
from sqlalchemy import select

from . import metrics
from .actions import accounts, directory, privacy
from .actors import CLI
from .auth import services as auth
from .auth.models import User
from .db_types import utcnow
from .demo import print_logins, seed
from .errors import DomainError
from .extensions import db
from .privacy.readable import render_export
from .worker import console_logging
from .worker import run as run_worker

users_cli = AppGroup("users", help="Staff users.")
tokens_cli = AppGroup("tokens", help="API tokens.")
teams_cli = AppGroup("teams", help="Teams.")


def _read_password() -> str:
    if sys.stdin.isatty():
        return getpass.getpass("Password: ")
    return sys.stdin.readline().rstrip("\r\n")


def _csv(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


@users_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(["admin", "supervisor", "agent"]), required=True)
@click.option("--name", default=None)
@click.option("--team", "teams", multiple=True, help="team name; repeat or comma-separate for several")
@click.option("--skills", default="", help="e.g. billing:4,network:2")
@click.option("--capacity", default=5, type=click.IntRange(min=1))
@click.option("--language", "languages", default="zh", help="e.g. zh,en")
def create_user(email, role, name, teams, skills, capacity, languages):
    """Create a user; the password is read from stdin."""
    password = _read_password()
    team_names = [t for group in teams for t in _csv(group)]
    try:
        levels = auth.parse_skills(skills)
        # The operator named them on purpose: what does not exist yet is created, and said so.
        new_teams, new_skills = directory.ensure_catalogue(team_names, list(levels))
        user = accounts.create_user(email, password, role, name=name, teams=team_names, skills=levels,
                                    capacity=capacity, languages=_csv(languages) or ["zh"])
    except DomainError as err:
        raise click.ClickException(err.message) from None
    for team in new_teams:
        click.echo(f"created team {team}", err=True)
    for skill in new_skills:
        click.echo(f"added skill {skill} to the catalogue (name it on the Skills page)", err=True)
    click.echo(f"created {user.role.value} {user.email} (id {user.id})", err=True)


@teams_cli.command("create")
@click.argument("name")
@click.option("--offer-mode", is_flag=True, help="routed tickets are offered and must be accepted")
@click.option("--offer-timeout", default=30, type=click.IntRange(5, 3600), help="seconds to accept an offer")
def create_team(name, offer_mode, offer_timeout):
    """Create a team."""
    try:
        team = directory.save_team({"name": name, "offer_mode": offer_mode, "offer_timeout_seconds": offer_timeout},
                                   CLI)
    except DomainError as err:
        raise click.ClickException(err.message) from None
    click.echo(f"created team {team.name} (id {team.id})", err=True)


def _user(email: str) -> User:
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise click.ClickException(f"no user {email}")
    return user


@tokens_cli.command("create")
@click.argument("email")
@click.option("--label", default="cli")
@click.option("--expires-days", type=click.IntRange(min=1), default=None, help="stop working after N days")
def create_token(email, label, expires_days):
    """Print a new API token for the user on stdout, and nothing else."""
    click.echo(accounts.create_token(_user(email), label, expires_days))


@tokens_cli.command("list")
@click.argument("email", required=False)
def list_tokens(email):
    """The tokens (of one user, or everyone's): id, user, label, created, last used, expires, state."""
    for row in auth.tokens(_user(email).id if email else None):
        state = "revoked" if row.revoked_at else ("expired" if row.expires_at and row.expires_at <= utcnow() else "live")
        click.echo("\t".join([str(row.id), row.user.email, row.label or "-", _iso(row.created_at),
                              _iso(row.last_used_at), _iso(row.expires_at), state]))


@tokens_cli.command("revoke")
@click.argument("token_id", type=int)
def revoke_token(token_id):
    """The token stops working at once."""
    try:
        row = accounts.revoke_token(token_id)
    except DomainError as err:
        raise click.ClickException(err.message) from None
    click.echo(f"revoked token {row.id} of {row.user.email}", err=True)


def _iso(value) -> str:
    return value.isoformat(timespec="seconds") if value else "-"


@click.command("seed-demo")
@with_appcontext
def seed_demo():
    """Load the demo data once (teams, agents, customers, tickets); running it again changes nothing."""
    created = seed()
    click.echo("demo data loaded" if created else "demo data already present", err=True)
    print_logins()


@click.command("worker")
@with_appcontext
@click.option("--burst", is_flag=True, help="stop when the queues are empty")
@click.option("--fork/--no-fork", default=False, help="fork a child per job (slower, isolates crashes)")
@click.option("--quiet", is_flag=True, help="RQ's own lines from warnings up only (make run)")
@click.option("--metrics-port", type=click.IntRange(1, 65535), envvar="WORKER_METRICS_PORT", default=None,
              help="serve the job counts for Prometheus on this port (a machine with workers only)")
@click.option("--metrics-addr", envvar="WORKER_METRICS_ADDR", default="127.0.0.1", show_default=True,
              help="address the job counts are served on")
def worker(burst, fork, quiet, metrics_port, metrics_addr):
    """An RQ worker with the scheduler, on the high, default and low queues, that rebuilds its
    schedule by itself after Redis loses it (callcenter/worker.py)."""
    console_logging(current_app.logger, quiet=quiet, json_lines=current_app.config["LOG_FORMAT"] == "json")
    if metrics_port and fork and not current_app.config.get("PROMETHEUS_MULTIPROC_DIR"):
        raise click.ClickException("--fork runs each job in a child whose counts die with it: "
                                   "set PROMETHEUS_MULTIPROC_DIR to serve them on --metrics-port")
    if metrics_port:
        try:
            metrics.serve_job_metrics(metrics_port, metrics_addr)
        except OSError as exc:
            raise click.ClickException(f"cannot serve metrics on {metrics_addr}:{metrics_port}: {exc}") from None
    run_worker(current_app.config["RQ_QUEUES"], redis.Redis.from_url(current_app.config["REDIS_URL"]),
               burst=burst, fork=fork)


customers_cli = AppGroup("customers", help="Customers' personal data: export and erase (audited).")
privacy_cli = AppGroup("privacy", help="Retention of personal data.")


@customers_cli.command("export")
@click.argument("customer_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["json", "html"]), default="json")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), default=None,
              help="file to write (default: stdout)")
@click.option("--lang", type=click.Choice(["zh_CN", "en"]), default="zh_CN", help="language of the readable file")
def export_customer(customer_id, fmt, output, lang):
    """Everything held about a customer, as JSON or a readable HTML file."""
    try:
        data = privacy.export_customer(customer_id, CLI)
    except DomainError as err:
        raise click.ClickException(err.message) from None
    if fmt == "html":
        with current_app.test_request_context(), force_locale(lang):
            text = render_export(data)
    else:
        text = json.dumps(data, ensure_ascii=False, indent=2)
    if output:
        with open(output, "w", encoding="utf-8") as f:
            f.write(text)
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text)


@customers_cli.command("erase")
@click.argument("customer_id", type=int)
@click.option("--yes", is_flag=True, help="do not ask to confirm")
def erase_customer(customer_id, yes):
    """Anonymise a customer and their tickets; the statistics stay. Cannot be undone."""
    if not yes:
        click.confirm(f"Erase customer {customer_id} and the personal data of their tickets?", abort=True)
    try:
        result = privacy.erase_customer(customer_id, CLI)
    except DomainError as err:
        raise click.ClickException(err.message) from None
    click.echo(f"erased customer {customer_id}: {result['tickets_anonymised']} ticket(s) anonymised", err=True)


@privacy_cli.command("retention")
def run_retention():
    """Anonymise now the closed tickets past RETENTION_DAYS (the hourly job does the same)."""
    anonymised = privacy.retention(utcnow(), current_app.config["RETENTION_DAYS"])
    click.echo(f"{anonymised} ticket(s) anonymised (RETENTION_DAYS={current_app.config['RETENTION_DAYS']})",
               err=True)


def register(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(tokens_cli)
    app.cli.add_command(teams_cli)
    app.cli.add_command(seed_demo)
    app.cli.add_command(worker)
    app.cli.add_command(customers_cli)
    app.cli.add_command(privacy_cli)
