"""The wallboard's colours as the desk sets them: per-tile thresholds, one row

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 12:30:00.000000

"""
from alembic import op
import sqlalchemy as sa
import callcenter.db_types  # noqa: F401  (custom column types)


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('wallboard_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tile_thresholds', sa.JSON(), nullable=False),
    sa.Column('updated_at', callcenter.db_types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wallboard_settings'))
    )
    # The one row, there from the start: two admins saving at once both update it (neither inserts).
    table = sa.table('wallboard_settings', sa.column('id', sa.Integer), sa.column('tile_thresholds', sa.JSON),
                     sa.column('updated_at', callcenter.db_types.UTCDateTime(timezone=True)))
    op.bulk_insert(table, [{'id': 1, 'tile_thresholds': {}, 'updated_at': callcenter.db_types.utcnow()}])


def downgrade():
    op.drop_table('wallboard_settings')
