"""The indexes the figures read carry the columns they count (PostgreSQL's INCLUDE): a period's
counts (the reports page's per-team, per-agent and per-day rows, the summary of 30 days) are
index-only scans instead of reads of the tickets' rows. SQLite has no INCLUDE: nothing changes
there. benchmarks/kpi.py at a million tickets: GET /reports of 30 days, all teams,
3.5 s -> 1.9 s on a busy machine (docs/PERFORMANCE.md).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 02:45:00.000000

"""
import sqlalchemy as sa
from alembic import op


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

RESOLVED = ["handle_seconds", "reopen_count", "agent_replies", "team_id", "assignee_id"]
CREATED = ["resolved_at", "reopen_count", "team_id", "assignee_id"]
ANSWERED = ["queue_wait_seconds", "cancelled_at", "team_id", "assignee_id"]
ABANDONED = ["queue_wait_seconds", "answered_at", "team_id", "assignee_id"]

# name: (columns, WHERE, INCLUDE)
INDEXES = {
    "ix_tickets_status_resolved": (["status", "resolved_at"], None, RESOLVED),
    "ix_tickets_created_at": (["created_at"], None, CREATED),
    "ix_tickets_answered_at": (["answered_at"], None, ANSWERED),
    "ix_tickets_abandoned": (["cancelled_at"], "answered_at IS NULL", ABANDONED),
    "ix_tickets_id_team_id": (["id", "team_id"], None, ["assignee_id"]),
    "ix_tickets_team_answered": (["team_id", "answered_at"], "answered_at IS NOT NULL",
                                 [c for c in ANSWERED if c != "team_id"]),
    "ix_tickets_team_resolved": (["team_id", "resolved_at"], "resolved_at IS NOT NULL",
                                 ["status", *(c for c in RESOLVED if c != "team_id")]),
}


def _rebuild(include: bool) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, (columns, where, extra) in INDEXES.items():
        op.drop_index(name, table_name="tickets")
        op.create_index(name, "tickets", columns, unique=False,
                        postgresql_where=sa.text(where) if where else None,
                        postgresql_include=extra if include else [])


def upgrade():
    _rebuild(include=True)
    # Complaints resolved in a period, by root cause and department: 202 -> 12 ms for 30 days at a
    # million tickets (150,000 of them complaints), the rows no longer read.
    op.create_index("ix_tickets_complaints_resolved", "tickets", ["status", "resolved_at"], unique=False,
                    sqlite_where=sa.text("kind = 'complaint'"), postgresql_where=sa.text("kind = 'complaint'"),
                    postgresql_include=["root_cause", "responsible_department", "team_id", "assignee_id"])


def downgrade():
    op.drop_index("ix_tickets_complaints_resolved", table_name="tickets")
    _rebuild(include=False)
