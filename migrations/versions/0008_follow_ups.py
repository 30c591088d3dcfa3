"""Follow-ups: callbacks and revisits with their tries, surveys, service recoveries, the
follow-up policy, and the customer's do-not-call hours, suspect number and at-risk mark

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 18:27:06.067637

"""
from alembic import op
import sqlalchemy as sa
import callcenter.db_types  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('followup_policy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('calendar', sa.String(length=80), nullable=False),
    sa.Column('tz', sa.String(length=64), nullable=False),
    sa.Column('quiet_hours', sa.String(length=60), nullable=False),
    sa.Column('retry_schedule', sa.JSON(), nullable=False),
    sa.Column('max_attempts', sa.Integer(), nullable=False),
    sa.Column('callback_skill', sa.String(length=50), nullable=True),
    sa.Column('slot_minutes', sa.Integer(), nullable=False),
    sa.Column('warn_before_seconds', sa.Integer(), nullable=False),
    sa.Column('revisit_rules', sa.JSON(), nullable=False),
    sa.Column('revisit_window_seconds', sa.Integer(), nullable=False),
    sa.Column('survey_expiry_days', sa.Integer(), nullable=False),
    sa.Column('survey_reminder_days', sa.Integer(), nullable=False),
    sa.Column('survey_per_customer_days', sa.Integer(), nullable=False),
    sa.Column('auto_close_days', sa.Integer(), nullable=False),
    sa.Column('updated_at', callcenter.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_followup_policy'))
    )
    op.create_table('followups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('callback', 'revisit', name='followupkind', native_enum=False, length=12), nullable=False),
    sa.Column('status', sa.Enum('scheduled', 'due', 'assigned', 'completed', 'unreachable', 'cancelled', name='followupstatus', native_enum=False, length=16), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('phone_norm', sa.String(length=32), nullable=True),
    sa.Column('language', sa.String(length=10), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('window_start', callcenter.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('window_end', callcenter.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('next_attempt_at', callcenter.db_types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('attempts_made', sa.Integer(), nullable=False),
    sa.Column('priority', sa.String(length=4), nullable=False),
    sa.Column('tier', sa.String(length=8), nullable=False),
    sa.Column('required_skills', sa.JSON(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('waiting_since', callcenter.db_types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('preferred_agent_id', sa.Integer(), nullable=True),
    sa.Column('avoid_agent_id', sa.Integer(), nullable=True),
    sa.Column('declined_by', sa.JSON(), nullable=False),
    sa.Column('waiting_reason', sa.String(length=60), nullable=True),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('assigned_at', callcenter.db_types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=True),
    sa.Column('warned_at', callcenter.db_types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('requested_by', sa.String(length=12), nullable=False),
    sa.Column('created_at', callcenter.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', callcenter.db_types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_followups_assignee_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['avoid_agent_id'], ['users.id'], name=op.f('fk_followups_avoid_agent_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_followups_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_followups_customer_id_customers'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['preferred_agent_id'], ['users.id'], name=op.f('fk_followups_preferred_agent_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_followups_team_id_teams'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_followups_ticket_id_tickets'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_followups'))
    )
    with op.batch_alter_table('followups', schema=None) as batch_op:
        batch_op.create_index('ix_followups_assignee_status', ['assignee_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_followups_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_followups_phone_norm'), ['phone_norm'], unique=False)
        batch_op.create_index('ix_followups_status_next', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_followups_ticket_id'), ['ticket_id'], unique=False)
        batch_op.create_index('uq_followups_revisit_round', ['ticket_id', 'round'], unique=True,
                              sqlite_where=sa.text("kind = 'revisit'"), postgresql_where=sa.text("kind = 'revisit'"))

    op.create_table('service_recoveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=12), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.JSON(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('created_at', callcenter.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_service_recoveries_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_recoveries')),
    sa.UniqueConstraint('source', 'source_id', name=op.f('uq_service_recoveries_source_source_id'))
    )
    with op.batch_alter_table('service_recoveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_recoveries_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('surveys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('nonce', sa.String(length=32), nullable=False),
    sa.Column('created_at', callcenter.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', callcenter.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reminded_at', callcenter.db_types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('answered_at', callcenter.db_types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('csat', sa.Integer(), nullable=True),
    sa.Column('nps', sa.Integer(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_surveys_customer_id_customers'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_surveys_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_surveys')),
    sa.UniqueConstraint('ticket_id', name=op.f('uq_surveys_ticket_id'))
    )
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_surveys_answered_at'), ['answered_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_surveys_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index('ix_surveys_to_remind', ['created_at'], unique=False,
                              sqlite_where=sa.text('answered_at IS NULL AND reminded_at IS NULL'),
                              postgresql_where=sa.text('answered_at IS NULL AND reminded_at IS NULL'))

    op.create_table('followup_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('followup_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.Enum('reached', 'no_answer', 'busy', 'wrong_number', name='outcome', native_enum=False, length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('agent_name', sa.String(length=120), nullable=False),
    sa.Column('solved', sa.Boolean(), nullable=True),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('may_contact_again', sa.Boolean(), nullable=True),
    sa.Column('next_attempt_at', callcenter.db_types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', callcenter.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['users.id'], name=op.f('fk_followup_attempts_agent_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['followup_id'], ['followups.id'], name=op.f('fk_followup_attempts_followup_id_followups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_followup_attempts')),
    sa.UniqueConstraint('followup_id', 'number', name=op.f('uq_followup_attempts_followup_id_number'))
    )
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('do_not_call', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('phone_suspect_at', callcenter.db_types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('at_risk_at', callcenter.db_types.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index('ix_tickets_status_resolved', ['status', 'resolved_at'], unique=False)



def downgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_status_resolved')
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_column('at_risk_at')
        batch_op.drop_column('phone_suspect_at')
        batch_op.drop_column('do_not_call')

    op.drop_table('followup_attempts')
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.drop_index('ix_surveys_to_remind')
        batch_op.drop_index(batch_op.f('ix_surveys_customer_id'))
        batch_op.drop_index(batch_op.f('ix_surveys_answered_at'))

    op.drop_table('surveys')
    with op.batch_alter_table('service_recoveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_recoveries_ticket_id'))

    op.drop_table('service_recoveries')
    with op.batch_alter_table('followups', schema=None) as batch_op:
        batch_op.drop_index('uq_followups_revisit_round')
        batch_op.drop_index(batch_op.f('ix_followups_ticket_id'))
        batch_op.drop_index('ix_followups_status_next')
        batch_op.drop_index(batch_op.f('ix_followups_phone_norm'))
        batch_op.drop_index(batch_op.f('ix_followups_customer_id'))
        batch_op.drop_index('ix_followups_assignee_status')

    op.drop_table('followups')
    op.drop_table('followup_policy')
