"""A team's answers and resolutions of a period, by index: the one-team wallboard and report
(benchmarks/kpi.py: a team's refresh 74 -> 62 ms median at a million tickets, interleaved)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 13:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index('ix_tickets_team_answered', ['team_id', 'answered_at'], unique=False,
                              sqlite_where=sa.text('answered_at IS NOT NULL'),
                              postgresql_where=sa.text('answered_at IS NOT NULL'))
        batch_op.create_index('ix_tickets_team_resolved', ['team_id', 'resolved_at'], unique=False,
                              sqlite_where=sa.text('resolved_at IS NOT NULL'),
                              postgresql_where=sa.text('resolved_at IS NOT NULL'))


def downgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_team_resolved')
        batch_op.drop_index('ix_tickets_team_answered')
