"""The event log's head keeps the hash before the last append: PostgreSQL appends an event in one statement.

The head's UPDATE hashes the event itself and sets prev_hash from the row it locks, and the event's INSERT reads
both from it (as the access log's head does since 0006).

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('event_head') as batch:
        batch.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('event_head') as batch:
        batch.drop_column('prev_hash')
