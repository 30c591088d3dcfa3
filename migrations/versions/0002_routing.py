"""routing: rules, offers, queue fields on tickets, contact given with a ticket, message claims

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 11:45:36.534605

"""
from alembic import op
import sqlalchemy as sa
import callcenter.db_types  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('routing_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('match', sa.JSON(), nullable=False),
    sa.Column('skills', sa.JSON(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('priority', sa.String(length=4), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', callcenter.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', callcenter.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_routing_rules_team_id_teams')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_routing_rules'))
    )
    op.create_table('offers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'accepted', 'rejected', 'expired', 'withdrawn', name='offerstatus', native_enum=False, length=12), nullable=False),
    sa.Column('offered_at', callcenter.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', callcenter.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('responded_at', callcenter.db_types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['agent_id'], ['users.id'], name=op.f('fk_offers_agent_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_offers_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_offers'))
    )
    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.create_index('ix_offers_agent_status', ['agent_id', 'status'], unique=False)
        batch_op.create_index('ix_offers_ticket_status', ['ticket_id', 'status'], unique=False)

    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sending_since', callcenter.db_types.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.add_column(sa.Column('offer_mode', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('offer_timeout_seconds', sa.Integer(), server_default='30', nullable=False))

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_phone', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('contact_email', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('customer_verified', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('waiting_since', callcenter.db_types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('queued_at', callcenter.db_types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('routing_widening', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('handed_back', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('routing_rule_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('waiting_reason', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('pinned', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index('ix_tickets_assignee_status', ['assignee_id', 'status'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_tickets_routing_rule_id_routing_rules'), 'routing_rules', ['routing_rule_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_assigned_at', callcenter.db_types.UTCDateTime(timezone=True), nullable=True))



def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('last_assigned_at')

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_tickets_routing_rule_id_routing_rules'), type_='foreignkey')
        batch_op.drop_index('ix_tickets_assignee_status')
        batch_op.drop_column('pinned')
        batch_op.drop_column('waiting_reason')
        batch_op.drop_column('routing_rule_id')
        batch_op.drop_column('handed_back')
        batch_op.drop_column('routing_widening')
        batch_op.drop_column('queued_at')
        batch_op.drop_column('waiting_since')
        batch_op.drop_column('customer_verified')
        batch_op.drop_column('contact_email')
        batch_op.drop_column('contact_phone')

    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.drop_column('offer_timeout_seconds')
        batch_op.drop_column('offer_mode')

    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.drop_column('sending_since')

    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.drop_index('ix_offers_ticket_status')
        batch_op.drop_index('ix_offers_agent_status')

    op.drop_table('offers')
    op.drop_table('routing_rules')
