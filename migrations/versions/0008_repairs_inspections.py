"""Repairs, inspections and disposal lists: an asset's life after the desk.

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

OPEN = "status = 'open'"


def upgrade():
    op.create_table(
        'repairs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('asset_id', sa.Integer(), nullable=False),
        sa.Column('vendor', sa.String(length=200), nullable=False),
        sa.Column('ticket', sa.String(length=100), nullable=True),
        sa.Column('fault', sa.Text(), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('under_warranty', sa.Boolean(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('asset_status_before', sa.String(length=16), nullable=False),
        sa.Column('opened_by', sa.String(length=256), nullable=False),
        sa.Column('returned_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('result', sa.String(length=16), nullable=True),
        sa.Column('cost', sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('data_wiped', sa.Boolean(), nullable=True),
        sa.Column('asset_status_after', sa.String(length=16), nullable=True),
        sa.Column('closed_by', sa.String(length=256), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['asset_id'], ['assets.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('uq_repairs_open_asset', 'repairs', ['asset_id'], unique=True,
                    sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))
    op.create_index('ix_repairs_asset_id', 'repairs', ['asset_id', 'id'])
    op.create_index('ix_repairs_status_sent_at', 'repairs', ['status', 'sent_at', 'id'])
    op.create_index('ix_repairs_sent_at', 'repairs', ['sent_at', 'id'])
    op.create_table(
        'disposals',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('decided_by', sa.String(length=256), nullable=False),
        sa.Column('decided_by_name', sa.String(length=200), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('items', sa.JSON(), nullable=False),
        sa.Column('document_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['document_id'], ['documents.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_table(
        'inspections',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('asset_id', sa.Integer(), nullable=False),
        sa.Column('loan_id', sa.Integer(), nullable=True),
        sa.Column('inspected_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('inspected_by', sa.String(length=256), nullable=False),
        sa.Column('result', sa.String(length=16), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['asset_id'], ['assets.id']),
        sa.ForeignKeyConstraint(['loan_id'], ['loans.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_inspections_asset_at', 'inspections', ['asset_id', 'inspected_at'])


def downgrade():
    op.drop_index('ix_inspections_asset_at', table_name='inspections')
    op.drop_table('inspections')
    op.drop_table('disposals')
    op.drop_index('ix_repairs_sent_at', table_name='repairs')
    op.drop_index('ix_repairs_status_sent_at', table_name='repairs')
    op.drop_index('ix_repairs_asset_id', table_name='repairs')
    op.drop_index('uq_repairs_open_asset', table_name='repairs')
    op.drop_table('repairs')
