"""personal-data inventory (pd_files, pd_file_entities)

Revision ID: 0002_inventory
Revises: 0001_foundation
"""

from alembic import op
import sqlalchemy as sa


revision = '0002_inventory'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('pd_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('location_kind', sa.String(length=20), nullable=False),
    sa.Column('location', sa.String(length=1000), nullable=False),
    sa.Column('owner_unit', sa.String(length=200), nullable=True),
    sa.Column('categories', sa.JSON(), nullable=False),
    sa.Column('purposes', sa.JSON(), nullable=False),
    sa.Column('legal_bases', sa.JSON(), nullable=False),
    sa.Column('collection_method', sa.String(length=500), nullable=True),
    sa.Column('retention', sa.String(length=300), nullable=True),
    sa.Column('recipients', sa.String(length=500), nullable=True),
    sa.Column('cross_border', sa.String(length=500), nullable=True),
    sa.Column('vendor', sa.String(length=300), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('records', sa.BigInteger(), nullable=True),
    sa.Column('files_scanned', sa.Integer(), nullable=True),
    sa.Column('first_seen', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_seen', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_scanned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_pd_files_org_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pd_files')),
    sa.UniqueConstraint('org_id', 'location', name=op.f('uq_pd_files_org_id'))
    )
    op.create_index(op.f('ix_pd_files_org_id'), 'pd_files', ['org_id'], unique=False)
    op.create_table('pd_file_entities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pd_file_id', sa.Integer(), nullable=False),
    sa.Column('entity', sa.String(length=40), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=True),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('samples', sa.JSON(), nullable=False),
    sa.Column('first_seen', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['pd_file_id'], ['pd_files.id'], name=op.f('fk_pd_file_entities_pd_file_id_pd_files')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pd_file_entities')),
    sa.UniqueConstraint('pd_file_id', 'entity', name=op.f('uq_pd_file_entities_pd_file_id'))
    )
    op.create_index(op.f('ix_pd_file_entities_pd_file_id'), 'pd_file_entities', ['pd_file_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_pd_file_entities_pd_file_id'), table_name='pd_file_entities')
    op.drop_table('pd_file_entities')
    op.drop_index(op.f('ix_pd_files_org_id'), table_name='pd_files')
    op.drop_table('pd_files')
