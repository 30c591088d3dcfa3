"""sla

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 12:11:53.737507

"""
from alembic import op
import sqlalchemy as sa
import callcenter.db_types  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('sla_calendars',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('tz', sa.String(length=64), nullable=False),
    sa.Column('weekly', sa.JSON(), nullable=False),
    sa.Column('country', sa.String(length=8), nullable=True),
    sa.Column('extra_closed', sa.JSON(), nullable=False),
    sa.Column('extra_open', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_calendars')),
    sa.UniqueConstraint('name', name=op.f('uq_sla_calendars_name'))
    )
    op.create_table('sla_policies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('match', sa.JSON(), nullable=False),
    sa.Column('calendar', sa.String(length=80), nullable=False),
    sa.Column('targets', sa.JSON(), nullable=False),
    sa.Column('warn_at', sa.JSON(), nullable=False),
    sa.Column('pause_statuses', sa.JSON(), nullable=False),
    sa.Column('escalation', sa.JSON(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', callcenter.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_policies'))
    )
    op.create_table('sla_clocks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('policy_id', sa.Integer(), nullable=True),
    sa.Column('calendar', sa.String(length=80), nullable=False),
    sa.Column('target_seconds', sa.Integer(), nullable=False),
    sa.Column('warn_at', sa.JSON(), nullable=False),
    sa.Column('history', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('due_at', callcenter.db_types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('next_check_at', callcenter.db_types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cycle', sa.Integer(), nullable=False),
    sa.Column('updated_at', callcenter.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['policy_id'], ['sla_policies.id'], name=op.f('fk_sla_clocks_policy_id_sla_policies'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_sla_clocks_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_clocks')),
    sa.UniqueConstraint('ticket_id', 'name', name=op.f('uq_sla_clocks_ticket_id_name'))
    )
    with op.batch_alter_table('sla_clocks', schema=None) as batch_op:
        batch_op.create_index('ix_sla_clocks_next_check_at', ['next_check_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_sla_clocks_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('sla_fired',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('clock_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=20), nullable=False),
    sa.Column('cycle', sa.Integer(), nullable=False),
    sa.Column('fired_at', callcenter.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['clock_id'], ['sla_clocks.id'], name=op.f('fk_sla_fired_clock_id_sla_clocks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_sla_fired_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_fired')),
    sa.UniqueConstraint('clock_id', 'level', 'cycle', name=op.f('uq_sla_fired_clock_id_level_cycle'))
    )
    with op.batch_alter_table('sla_fired', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sla_fired_ticket_id'), ['ticket_id'], unique=False)

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sla_state', sa.String(length=12), nullable=True))




def downgrade():

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_column('sla_state')

    with op.batch_alter_table('sla_fired', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sla_fired_ticket_id'))

    op.drop_table('sla_fired')
    with op.batch_alter_table('sla_clocks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sla_clocks_ticket_id'))
        batch_op.drop_index('ix_sla_clocks_next_check_at')

    op.drop_table('sla_clocks')
    op.drop_table('sla_policies')
    op.drop_table('sla_calendars')

