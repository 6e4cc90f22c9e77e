"""Signed checkpoints of the event log: the event_checkpoints table, and when the head was last checkpointed.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('event_checkpoints',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('head_hash', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('signature', sa.Text(), nullable=False),
    sa.Column('fingerprint', sa.String(length=95), nullable=False),
    sa.Column('certificate', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('seq')
    )
    with op.batch_alter_table('event_head', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checkpoint_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('event_head', schema=None) as batch_op:
        batch_op.drop_column('checkpoint_at')
    op.drop_table('event_checkpoints')
