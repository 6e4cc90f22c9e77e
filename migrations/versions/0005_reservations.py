"""Reservations: equipment booked ahead, and the units handed over at pick-up.

On PostgreSQL an exclusion constraint (btree_gist) refuses two holding bookings of one asset whose periods
overlap, whatever the load; SQLite has no such constraint and the service checks inside its write transaction.

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

HOLDING = "status IN ('booked', 'picked_up')"


def upgrade():
    op.create_table(
        'reservations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('person_uid', sa.String(length=256), nullable=False),
        sa.Column('person_name', sa.String(length=200), nullable=False),
        sa.Column('center_id', sa.Integer(), nullable=False),
        sa.Column('asset_id', sa.Integer(), nullable=True),
        sa.Column('category', sa.String(length=16), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('purpose', sa.Text(), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('booked_by', sa.String(length=256), nullable=False),
        sa.Column('booked_by_name', sa.String(length=200), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('cancelled_by', sa.String(length=256), nullable=True),
        sa.Column('picked_up_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('picked_up_by', sa.String(length=256), nullable=True),
        sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['asset_id'], ['assets.id']),
        sa.ForeignKeyConstraint(['center_id'], ['centers.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_reservations_holding_center_category', 'reservations',
                    ['center_id', 'category', 'ends_at', 'starts_at'],
                    sqlite_where=sa.text(HOLDING), postgresql_where=sa.text(HOLDING))
    op.create_index('ix_reservations_holding_asset', 'reservations', ['asset_id', 'ends_at'],
                    sqlite_where=sa.text(HOLDING), postgresql_where=sa.text(HOLDING))
    op.create_index('ix_reservations_person', 'reservations', ['person_uid', 'id'])
    op.create_index('ix_reservations_status_starts', 'reservations', ['status', 'starts_at', 'id'])
    op.create_table(
        'reservation_units',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('reservation_id', sa.Integer(), nullable=False),
        sa.Column('asset_id', sa.Integer(), nullable=False),
        sa.Column('loan_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['asset_id'], ['assets.id']),
        sa.ForeignKeyConstraint(['loan_id'], ['loans.id']),
        sa.ForeignKeyConstraint(['reservation_id'], ['reservations.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('loan_id'),
    )
    op.create_index('ix_reservation_units_reservation', 'reservation_units', ['reservation_id', 'id'])
    # Availability counts a center's usable units of a category.
    op.create_index('ix_assets_center_category_status', 'assets', ['center_id', 'category', 'status'])
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('CREATE EXTENSION IF NOT EXISTS btree_gist')
        op.execute(
            "ALTER TABLE reservations ADD CONSTRAINT ex_reservations_asset_period "
            "EXCLUDE USING gist (asset_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) "
            f"WHERE (asset_id IS NOT NULL AND {HOLDING})"
        )
        op.execute("ALTER TABLE reservations ADD CONSTRAINT ck_reservations_period CHECK (starts_at < ends_at)")


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE reservations DROP CONSTRAINT ex_reservations_asset_period')
        op.execute('ALTER TABLE reservations DROP CONSTRAINT ck_reservations_period')
    op.drop_index('ix_assets_center_category_status', table_name='assets')
    op.drop_index('ix_reservation_units_reservation', table_name='reservation_units')
    op.drop_table('reservation_units')
    op.drop_index('ix_reservations_status_starts', table_name='reservations')
    op.drop_index('ix_reservations_person', table_name='reservations')
    op.drop_index('ix_reservations_holding_asset', table_name='reservations')
    op.drop_index('ix_reservations_holding_center_category', table_name='reservations')
    op.drop_table('reservations')
