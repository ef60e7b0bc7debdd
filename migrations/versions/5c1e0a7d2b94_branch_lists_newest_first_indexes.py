"""a branch's tickets and customer files, newest first: (branch_id, id) indexes

Revision ID: 5c1e0a7d2b94
Revises: daf8f2b1252d
Create Date: 2026-11-24 09:10:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '5c1e0a7d2b94'
down_revision = 'daf8f2b1252d'
branch_labels = None
depends_on = None


def upgrade():
    # A branch's list pages newest first by id. PostgreSQL's branch_id index does not keep
    # ids in order, so it walked all branches' newest tickets to find one branch's twenty.
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_branch_newest', ['branch_id', 'id'], unique=False)
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.create_index('ix_customer_branch_newest', ['branch_id', 'id'], unique=False)
    op.execute("ANALYZE ticket")
    op.execute("ANALYZE customer")


def downgrade():
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_index('ix_customer_branch_newest')
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_branch_newest')
