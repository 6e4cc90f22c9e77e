"""The notification outbox: e-mails decided in the transaction of the change that causes them.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'notifications',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('recipient_uid', sa.String(length=256), nullable=True),
        sa.Column('to_address', sa.String(length=320), nullable=True),
        sa.Column('to_name', sa.String(length=200), nullable=True),
        sa.Column('cc_address', sa.String(length=320), nullable=True),
        sa.Column('language', sa.String(length=8), nullable=True),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.Column('document_id', sa.Integer(), nullable=True),
        sa.Column('dedupe_key', sa.String(length=128), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('message_id', sa.String(length=255), nullable=True),
        sa.Column('subject', sa.String(length=300), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['document_id'], ['documents.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_status_next', ['status', 'next_attempt_at', 'id'], unique=False)
        batch_op.create_index('ix_notifications_recipient', ['recipient_uid', 'id'], unique=False)
        batch_op.create_index('uq_notifications_dedupe_key', ['dedupe_key'], unique=True)


def downgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('uq_notifications_dedupe_key')
        batch_op.drop_index('ix_notifications_recipient')
        batch_op.drop_index('ix_notifications_status_next')
    op.drop_table('notifications')
