"""tickets.contacted_at: when the office first reached the customer (contact SLA)

Revision ID: 0005_contacted_at
Revises: 0004_merge
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_contacted_at"
down_revision = "0004_merge"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("tickets") as batch_op:
        batch_op.add_column(sa.Column("contacted_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("tickets") as batch_op:
        batch_op.drop_column("contacted_at")
