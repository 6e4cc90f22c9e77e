"""Server-side sessions: page sessions live in api_tokens beside the bearer tokens, with an idle clock.

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=8), server_default='api', nullable=False))
        batch_op.add_column(sa.Column('dn', sa.String(length=1024), nullable=True))
        batch_op.add_column(sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('address', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('last_address', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('user_agent', sa.String(length=200), nullable=True))


def downgrade():
    # Page sessions cannot live without the new columns: they end with the downgrade.
    op.execute("DELETE FROM api_tokens WHERE kind = 'page'")
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        for column in ('user_agent', 'last_address', 'address', 'last_used_at', 'dn', 'kind'):
            batch_op.drop_column(column)
