"""The figures' raw facts on each ticket: its answer (first taken by an agent), its queue wait,
its handle time and its agents' public replies; and when each SLA clock was decided (met or
breached); filled in for the rows already there

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 03:40:00.000000

"""
from alembic import op
import sqlalchemy as sa
import callcenter.db_types  # noqa: F401  (custom column types)
from callcenter.db_types import UTCDateTime


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

_tickets = sa.table('tickets', sa.column('id', sa.Integer), sa.column('created_at', UTCDateTime()),
                    sa.column('answered_at', UTCDateTime()), sa.column('resolved_at', UTCDateTime()),
                    sa.column('cancelled_at', UTCDateTime()), sa.column('queue_wait_seconds', sa.Integer),
                    sa.column('handle_seconds', sa.Integer), sa.column('agent_replies', sa.Integer))
_events = sa.table('ticket_events', sa.column('ticket_id', sa.Integer), sa.column('kind', sa.String),
                   sa.column('created_at', UTCDateTime()))
_messages = sa.table('ticket_messages', sa.column('ticket_id', sa.Integer), sa.column('author_kind', sa.String),
                     sa.column('internal', sa.Boolean))


def upgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('answered_at', callcenter.db_types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('queue_wait_seconds', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('handle_seconds', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('agent_replies', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_index(batch_op.f('ix_tickets_answered_at'), ['answered_at'], unique=False)
    with op.batch_alter_table('sla_clocks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('decided_at', callcenter.db_types.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_sla_clocks_decided_at'), ['decided_at'], unique=False)
    _backfill()
    _backfill_clocks()


def _backfill():
    """The answer is the first 'assigned' event; the seconds are worked out here, in Python, the
    same on SQLite and PostgreSQL."""
    bind = op.get_bind()
    first_assigned = (sa.select(sa.func.min(_events.c.created_at)).where(
        _events.c.ticket_id == _tickets.c.id, _events.c.kind == 'assigned').scalar_subquery())
    bind.execute(_tickets.update().values(answered_at=first_assigned))
    replies = (sa.select(sa.func.count()).select_from(_messages).where(
        _messages.c.ticket_id == _tickets.c.id, _messages.c.author_kind == 'agent',
        _messages.c.internal.is_(False)).scalar_subquery())
    bind.execute(_tickets.update().values(agent_replies=replies))
    rows = bind.execute(sa.select(_tickets.c.id, _tickets.c.created_at, _tickets.c.answered_at,
                                  _tickets.c.resolved_at, _tickets.c.cancelled_at)).all()
    for row in rows:
        wait = handle = None
        if row.answered_at is not None:
            wait = _seconds(row.created_at, row.answered_at)
        elif row.cancelled_at is not None:
            wait = _seconds(row.created_at, row.cancelled_at)
        if row.resolved_at is not None:  # as the app: from the answer, or from creation if never answered
            handle = _seconds(row.answered_at or row.created_at, row.resolved_at)
        if wait is not None or handle is not None:
            bind.execute(_tickets.update().where(_tickets.c.id == row.id).values(
                queue_wait_seconds=wait, handle_seconds=handle))


def _backfill_clocks():
    """A met clock was decided at its last stop, a breached one at its due time (or its last stop
    when it stopped late, its due time then no longer kept)."""
    from datetime import datetime

    clocks = sa.table('sla_clocks', sa.column('id', sa.Integer), sa.column('state', sa.String),
                      sa.column('history', sa.JSON), sa.column('due_at', UTCDateTime()),
                      sa.column('decided_at', UTCDateTime()))
    bind = op.get_bind()
    for row in bind.execute(sa.select(clocks.c.id, clocks.c.state, clocks.c.history, clocks.c.due_at).where(
            clocks.c.state.in_(('met', 'breached')))).all():
        stops = [entry[0] for entry in (row.history or []) if entry[1] == 'stop']
        last_stop = datetime.fromisoformat(stops[-1]) if stops else None
        when = last_stop if row.state == 'met' else (row.due_at or last_stop)
        if when is not None:
            bind.execute(clocks.update().where(clocks.c.id == row.id).values(decided_at=when))


def _seconds(start, end):
    return max(0, round((end - start).total_seconds()))


def downgrade():
    with op.batch_alter_table('sla_clocks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sla_clocks_decided_at'))
        batch_op.drop_column('decided_at')
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tickets_answered_at'))
        batch_op.drop_column('agent_replies')
        batch_op.drop_column('handle_seconds')
        batch_op.drop_column('queue_wait_seconds')
        batch_op.drop_column('answered_at')
