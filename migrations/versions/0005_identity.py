"""customer identity: the contact on each ticket, suggested matches, hashed status links, privacy log

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 10:57:03.783413

Existing tickets keep the contact they were given, named as their customer was; verified
tickets take the record's phone and email where they had none (mail went there before).
Their status links keep working: each token moves into status_links as its SHA-256.
Downgrading gives every ticket a new token (old links stop) and needs every ticket linked
to a record and no two records sharing a phone or email, as the old schema required.
"""
import hashlib
import secrets
import unicodedata

from alembic import op
import sqlalchemy as sa
import callcenter.db_types  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('privacy_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('actor_kind', sa.String(length=12), nullable=False),
    sa.Column('actor_user_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=120), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('created_at', callcenter.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_user_id'], ['users.id'], name=op.f('fk_privacy_log_actor_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_privacy_log_customer_id_customers'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_privacy_log'))
    )
    with op.batch_alter_table('privacy_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_privacy_log_customer_id'), ['customer_id'], unique=False)

    op.create_table('customer_matches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('matched_on', sa.JSON(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'confirmed', 'rejected', name='matchstatus', native_enum=False, length=12), nullable=False),
    sa.Column('created_at', callcenter.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', callcenter.db_types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_customer_matches_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_customer_matches_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_customer_matches_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_matches')),
    sa.UniqueConstraint('ticket_id', 'customer_id', name=op.f('uq_customer_matches_ticket_id_customer_id'))
    )
    with op.batch_alter_table('customer_matches', schema=None) as batch_op:
        batch_op.create_index('ix_customer_matches_customer_status', ['customer_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_matches_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('status_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', callcenter.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', callcenter.db_types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_status_links_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_status_links')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_status_links_token_hash'))
    )
    with op.batch_alter_table('status_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_status_links_ticket_id'), ['ticket_id'], unique=False)

    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('erased_at', callcenter.db_types.UTCDateTime(timezone=True), nullable=True))
        batch_op.drop_constraint(batch_op.f('uq_customers_email_norm'), type_='unique')
        batch_op.drop_constraint(batch_op.f('uq_customers_phone_norm'), type_='unique')
        batch_op.create_index(batch_op.f('ix_customers_email_norm'), ['email_norm'], unique=False)
        batch_op.create_index(batch_op.f('ix_customers_phone_norm'), ['phone_norm'], unique=False)

    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('link_marker', sa.String(length=40), nullable=True))

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_name', sa.String(length=120), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('contact_phone_norm', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('contact_email_norm', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('anonymised_at', callcenter.db_types.UTCDateTime(timezone=True), nullable=True))
        batch_op.alter_column('customer_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.create_index(batch_op.f('ix_tickets_contact_email_norm'), ['contact_email_norm'], unique=False)
        batch_op.create_index(batch_op.f('ix_tickets_contact_phone_norm'), ['contact_phone_norm'], unique=False)

    _fill_contacts_and_move_tokens()

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.alter_column('contact_name', existing_type=sa.String(length=120), server_default=None)
        batch_op.drop_constraint(batch_op.f('uq_tickets_public_token'), type_='unique')
        batch_op.drop_column('public_token')


# The normalisation of callcenter/customers/normalise.py as of this revision (a migration
# must not change when the application code does).
def _phone_norm(raw):
    if not raw:
        return None
    text = unicodedata.normalize("NFKC", raw)
    digits = "".join(str(unicodedata.decimal(c)) if c.isdecimal() else "" for c in text)
    if digits.startswith("00"):
        digits = digits[2:]
    if len(digits) == 13 and digits.startswith("861"):
        digits = digits[2:]
    return digits or None


def _email_norm(raw):
    return (unicodedata.normalize("NFKC", raw).strip().lower() or None) if raw else None


def _fill_contacts_and_move_tokens():
    bind = op.get_bind()
    tickets = sa.table('tickets', sa.column('id'), sa.column('customer_id'), sa.column('customer_verified'),
                       sa.column('public_token'), sa.column('contact_name'), sa.column('contact_phone'),
                       sa.column('contact_phone_norm'), sa.column('contact_email'), sa.column('contact_email_norm'),
                       sa.column('created_at', callcenter.db_types.UTCDateTime()))
    customers = sa.table('customers', sa.column('id'), sa.column('name'), sa.column('phone'), sa.column('email'))
    links = sa.table('status_links', sa.column('ticket_id'), sa.column('token_hash'),
                     sa.column('created_at', callcenter.db_types.UTCDateTime()))
    rows = bind.execute(sa.select(tickets.c.id, tickets.c.customer_verified, tickets.c.public_token,
                                  tickets.c.contact_phone, tickets.c.contact_email, tickets.c.created_at,
                                  customers.c.name, customers.c.phone, customers.c.email)
                        .select_from(tickets.join(customers, customers.c.id == tickets.c.customer_id))).all()
    for row in rows:
        phone = row.contact_phone or (row.phone if row.customer_verified else None)
        email = row.contact_email or (row.email if row.customer_verified else None)
        bind.execute(tickets.update().where(tickets.c.id == row.id).values(
            contact_name=row.name, contact_phone=phone, contact_phone_norm=_phone_norm(phone),
            contact_email=email, contact_email_norm=_email_norm(email)))
        if row.public_token:
            bind.execute(links.insert().values(ticket_id=row.id, created_at=row.created_at,
                                               token_hash=hashlib.sha256(row.public_token.encode()).hexdigest()))


def downgrade():
    # Status tokens are kept only as hashes: every ticket gets a new one (old links stop working).
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public_token', sa.VARCHAR(length=64), nullable=True))
    bind = op.get_bind()
    tickets = sa.table('tickets', sa.column('id'), sa.column('public_token'))
    for (ticket_id,) in bind.execute(sa.select(tickets.c.id)).all():
        bind.execute(tickets.update().where(tickets.c.id == ticket_id).values(public_token=secrets.token_urlsafe(24)))
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.alter_column('public_token', existing_type=sa.VARCHAR(length=64), nullable=False)
        batch_op.drop_index(batch_op.f('ix_tickets_contact_phone_norm'))
        batch_op.drop_index(batch_op.f('ix_tickets_contact_email_norm'))
        batch_op.create_unique_constraint(batch_op.f('uq_tickets_public_token'), ['public_token'])
        batch_op.alter_column('customer_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('anonymised_at')
        batch_op.drop_column('contact_email_norm')
        batch_op.drop_column('contact_phone_norm')
        batch_op.drop_column('contact_name')

    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.drop_column('link_marker')

    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customers_phone_norm'))
        batch_op.drop_index(batch_op.f('ix_customers_email_norm'))
        batch_op.create_unique_constraint(batch_op.f('uq_customers_phone_norm'), ['phone_norm'])
        batch_op.create_unique_constraint(batch_op.f('uq_customers_email_norm'), ['email_norm'])
        batch_op.drop_column('erased_at')

    with op.batch_alter_table('status_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_status_links_ticket_id'))

    op.drop_table('status_links')
    with op.batch_alter_table('customer_matches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_matches_ticket_id'))
        batch_op.drop_index('ix_customer_matches_customer_status')

    op.drop_table('customer_matches')
    with op.batch_alter_table('privacy_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_privacy_log_customer_id'))

    op.drop_table('privacy_log')
