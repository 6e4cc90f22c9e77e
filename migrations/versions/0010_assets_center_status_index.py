"""Index assets by (center, status): the dashboard counts devices by center and status from the index alone.

In the index's order: no join, no sort of every asset.

Revision ID: 0010
Revises: 0005
"""
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_assets_center_status', 'assets', ['center_id', 'status'])


def downgrade():
    op.drop_index('ix_assets_center_status', table_name='assets')
