"""Between hand-over and return: loan extensions and incident reports.

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'loan_extensions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('loan_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('due_from', sa.Date(), nullable=False),
        sa.Column('until', sa.Date(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('requested_by', sa.String(length=256), nullable=False),
        sa.Column('requested_by_name', sa.String(length=200), nullable=True),
        sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('decided_by', sa.String(length=256), nullable=True),
        sa.Column('decided_by_name', sa.String(length=200), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('decision_note', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['loan_id'], ['loans.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('uq_loan_extensions_one_pending', 'loan_extensions', ['loan_id'], unique=True,
                    sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))
    op.create_index('ix_loan_extensions_loan', 'loan_extensions', ['loan_id', 'id'])
    op.create_index('ix_loan_extensions_status', 'loan_extensions', ['status', 'id'])
    op.create_table(
        'incidents',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('loan_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('happened_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('place', sa.String(length=300), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('reported_by', sa.String(length=256), nullable=False),
        sa.Column('reported_by_name', sa.String(length=200), nullable=True),
        sa.Column('reported_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('resolution', sa.String(length=16), nullable=True),
        sa.Column('resolution_note', sa.Text(), nullable=True),
        sa.Column('resolved_by', sa.String(length=256), nullable=True),
        sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('replacement_loan_id', sa.Integer(), nullable=True),
        sa.Column('document_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['loan_id'], ['loans.id']),
        sa.ForeignKeyConstraint(['replacement_loan_id'], ['loans.id']),
        sa.ForeignKeyConstraint(['document_id'], ['documents.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_incidents_status', 'incidents', ['status', 'id'])
    op.create_index('ix_incidents_loan', 'incidents', ['loan_id', 'id'])


def downgrade():
    op.drop_index('ix_incidents_loan', table_name='incidents')
    op.drop_index('ix_incidents_status', table_name='incidents')
    op.drop_table('incidents')
    op.drop_index('ix_loan_extensions_status', table_name='loan_extensions')
    op.drop_index('ix_loan_extensions_loan', table_name='loan_extensions')
    op.drop_index('uq_loan_extensions_one_pending', table_name='loan_extensions')
    op.drop_table('loan_extensions')
