"""The desk's set-up as data: a skills catalogue, categories with required skills and a
default priority, one-time password links and the set-up log

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 15:20:00

"""
from alembic import op
import sqlalchemy as sa
import callcenter.db_types  # noqa: F401  (custom column types)


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'skills',
        sa.Column('code', sa.String(length=50), nullable=False),
        sa.Column('name_zh', sa.String(length=120), nullable=False),
        sa.Column('name_en', sa.String(length=120), nullable=False),
        sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.PrimaryKeyConstraint('code'),
    )
    op.create_table(
        'password_links',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', callcenter.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('expires_at', callcenter.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('used_at', callcenter.db_types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('message_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['message_id'], ['outbound_messages.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash'),
    )
    op.create_index('ix_password_links_user_id', 'password_links', ['user_id'])
    op.create_table(
        'setup_log',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('actor_user_id', sa.Integer(), nullable=True),
        sa.Column('actor_name', sa.String(length=120), nullable=False),
        sa.Column('action', sa.String(length=40), nullable=False),
        sa.Column('subject', sa.String(length=200), nullable=False),
        sa.Column('details', sa.JSON(), nullable=False),
        sa.Column('created_at', callcenter.db_types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['actor_user_id'], ['users.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_setup_log_created_at', 'setup_log', ['created_at'])

    with op.batch_alter_table('categories') as batch_op:
        batch_op.add_column(sa.Column('required_skills', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('default_priority', sa.String(length=4), nullable=True))
    conn = op.get_bind()
    categories = sa.table('categories', sa.column('code', sa.String), sa.column('skill', sa.String),
                          sa.column('required_skills', sa.JSON))
    for code, skill in conn.execute(sa.select(categories.c.code, categories.c.skill)).all():
        conn.execute(categories.update().where(categories.c.code == code)
                     .values(required_skills={skill: 1} if skill else {}))
    with op.batch_alter_table('categories') as batch_op:
        batch_op.alter_column('required_skills', existing_type=sa.JSON(), nullable=False)
        batch_op.drop_column('skill')

    # Every skill already in use enters the catalogue under its code, so nothing set up before
    # becomes invalid; an admin gives them names afterwards.
    agent_skills = sa.table('agent_skills', sa.column('skill', sa.String))
    rules = sa.table('routing_rules', sa.column('skills', sa.JSON))
    codes = {row[0] for row in conn.execute(sa.select(agent_skills.c.skill).distinct())}
    for (skills,) in conn.execute(sa.select(rules.c.skills)).all():
        codes.update((skills or {}).keys())
    for (skills,) in conn.execute(sa.select(categories.c.required_skills)).all():
        codes.update((skills or {}).keys())
    skills_table = sa.table('skills', sa.column('code', sa.String), sa.column('name_zh', sa.String),
                            sa.column('name_en', sa.String))
    if codes:
        op.bulk_insert(skills_table, [{'code': c, 'name_zh': c, 'name_en': c} for c in sorted(codes)])


def downgrade():
    with op.batch_alter_table('categories') as batch_op:
        batch_op.add_column(sa.Column('skill', sa.String(length=50), nullable=True))
    conn = op.get_bind()
    categories = sa.table('categories', sa.column('code', sa.String), sa.column('skill', sa.String),
                          sa.column('required_skills', sa.JSON))
    for code, skills in conn.execute(sa.select(categories.c.code, categories.c.required_skills)).all():
        first = next(iter(skills or {}), None)  # the old schema held one skill per category
        conn.execute(categories.update().where(categories.c.code == code).values(skill=first))
    with op.batch_alter_table('categories') as batch_op:
        batch_op.drop_column('default_priority')
        batch_op.drop_column('required_skills')
    op.drop_index('ix_setup_log_created_at', table_name='setup_log')
    op.drop_table('setup_log')
    op.drop_index('ix_password_links_user_id', table_name='password_links')
    op.drop_table('password_links')
    op.drop_table('skills')
