"""Report subscriptions: a supervisor's daily or weekly report by email

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 04:00:00.000000

"""
from alembic import op
import sqlalchemy as sa
import callcenter.db_types  # noqa: F401  (custom column types)


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('report_subscriptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('frequency', sa.Enum('daily', 'weekly', name='frequency', native_enum=False, length=8), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('created_at', callcenter.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_period_end', callcenter.db_types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_report_subscriptions_team_id_teams'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_report_subscriptions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_subscriptions'))
    )
    with op.batch_alter_table('report_subscriptions', schema=None) as batch_op:
        batch_op.create_index('ix_report_subscriptions_user_id', ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('report_subscriptions', schema=None) as batch_op:
        batch_op.drop_index('ix_report_subscriptions_user_id')
    op.drop_table('report_subscriptions')
