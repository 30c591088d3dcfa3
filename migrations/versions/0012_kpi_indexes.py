"""Indexes for the figures at a million tickets (benchmarks/kpi.py): the abandons of a period,
the callbacks that ended in it, the SLA clocks decided in it read from the index alone, and a
ticket's team read from an index for the joins that narrow clocks, surveys and firings to a team

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 04:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        # The abandons: tickets cancelled before any answer (a few % of all), by when.
        batch_op.create_index('ix_tickets_abandoned', ['cancelled_at'], unique=False,
                              sqlite_where=sa.text('answered_at IS NULL'),
                              postgresql_where=sa.text('answered_at IS NULL'))
        batch_op.create_index('ix_tickets_id_team_id', ['id', 'team_id'], unique=False)
    with op.batch_alter_table('sla_clocks', schema=None) as batch_op:
        batch_op.drop_index('ix_sla_clocks_decided_at')
        batch_op.create_index('ix_sla_clocks_decided', ['decided_at', 'state', 'name', 'ticket_id'], unique=False)
    with op.batch_alter_table('followups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_followups_closed_at'), ['closed_at'], unique=False)


def downgrade():
    with op.batch_alter_table('followups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_followups_closed_at'))
    with op.batch_alter_table('sla_clocks', schema=None) as batch_op:
        batch_op.drop_index('ix_sla_clocks_decided')
        batch_op.create_index('ix_sla_clocks_decided_at', ['decided_at'], unique=False)
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_id_team_id')
        batch_op.drop_index('ix_tickets_abandoned')
