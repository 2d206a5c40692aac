"""merge the dispatch/push and money/stock/documents branches

Revision ID: 0004_merge
Revises: 0002_dispatch_push, 0003_money_stock_docs
"""

revision = "0004_merge"
down_revision = ("0002_dispatch_push", "0003_money_stock_docs")
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
