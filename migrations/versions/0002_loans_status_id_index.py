"""Index loans by (status, id): the open-loans list pages by id without sorting every open loan.

Revision ID: 0002
Revises: 0001
"""
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_loans_status_id', 'loans', ['status', 'id'])


def downgrade():
    op.drop_index('ix_loans_status_id', table_name='loans')
