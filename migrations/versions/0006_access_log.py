"""The personal-data access log: access_entries (chained by SHA-256), access_head, access_checkpoints.

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
GENESIS = "0" * 64


def upgrade():
    op.create_table(
        'access_entries',
        sa.Column('seq', SEQ, autoincrement=False, nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor', sa.String(length=256), nullable=False),
        sa.Column('role', sa.String(length=64), nullable=False),
        sa.Column('action', sa.String(length=16), nullable=False),
        sa.Column('target_type', sa.String(length=32), nullable=False),
        sa.Column('target_id', sa.String(length=128), nullable=False),
        sa.Column('subjects', sa.Text(), nullable=False),
        sa.Column('data', sa.Text(), nullable=False),
        sa.Column('prev_hash', sa.String(length=64), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('seq'),
    )
    op.create_index('ix_access_entries_actor', 'access_entries', ['actor', 'seq'])
    op.create_index('ix_access_entries_at', 'access_entries', ['at', 'seq'])
    head = op.create_table(
        'access_head',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('seq', SEQ, nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.Column('prev_hash', sa.String(length=64), nullable=True),
        sa.Column('checkpoint_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('start_seq', SEQ, nullable=False),
        sa.Column('start_prev_hash', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.bulk_insert(head, [{"id": 1, "seq": 0, "hash": GENESIS, "start_seq": 1, "start_prev_hash": GENESIS}])
    op.create_table(
        'access_checkpoints',
        sa.Column('seq', SEQ, autoincrement=False, nullable=False),
        sa.Column('head_hash', sa.String(length=64), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('signature', sa.Text(), nullable=False),
        sa.Column('fingerprint', sa.String(length=95), nullable=False),
        sa.Column('certificate', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('seq'),
    )


def downgrade():
    op.drop_table('access_checkpoints')
    op.drop_table('access_head')
    op.drop_index('ix_access_entries_at', table_name='access_entries')
    op.drop_index('ix_access_entries_actor', table_name='access_entries')
    op.drop_table('access_entries')
