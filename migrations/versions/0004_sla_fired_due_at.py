"""sla_fired.due_at and carried_over; tickets' sla_state recomputed from running clocks

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 15:00:00

"""
from alembic import op
import sqlalchemy as sa
import callcenter.db_types  # noqa: F401  (custom column types)


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

SEVERITY = {None: 0, "met": 0, "paused": 1, "running": 1, "warning": 2, "breached": 3}
OPEN = ("new", "assigned", "in_progress", "pending_customer")


def upgrade():
    with op.batch_alter_table('sla_fired', schema=None) as batch_op:
        batch_op.add_column(sa.Column('due_at', callcenter.db_types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('carried_over', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index(batch_op.f('ix_sla_fired_due_at'), ['due_at'], unique=False)
    op.execute("UPDATE sla_fired SET due_at = fired_at WHERE due_at IS NULL")  # the best known for old rows
    _recompute_open_tickets_state()


def _recompute_open_tickets_state():
    """A ticket's sla_state is now the worst of its running clocks (of all once none runs).
    The clocks' cached states are current; only the summing-up changed."""
    bind = op.get_bind()
    clocks = sa.table('sla_clocks', sa.column('ticket_id'), sa.column('state'), sa.column('history', sa.JSON))
    tickets = sa.table('tickets', sa.column('id'), sa.column('status'), sa.column('sla_state'))
    by_ticket = {}
    rows = bind.execute(sa.select(clocks.c.ticket_id, clocks.c.state, clocks.c.history)
                        .select_from(clocks.join(tickets, tickets.c.id == clocks.c.ticket_id))
                        .where(tickets.c.status.in_(OPEN)))
    for ticket_id, state, history in rows:
        stopped = bool(history) and history[-1][1] == "stop"
        by_ticket.setdefault(ticket_id, []).append((state, stopped))
    for ticket_id, states in by_ticket.items():
        live = [state for state, stopped in states if not stopped] or [state for state, _ in states]
        worst = max(live, key=lambda s: SEVERITY.get(s, 0))
        bind.execute(tickets.update().where(tickets.c.id == ticket_id).values(sla_state=worst))


def downgrade():
    with op.batch_alter_table('sla_fired', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sla_fired_due_at'))
        batch_op.drop_column('carried_over')
        batch_op.drop_column('due_at')
