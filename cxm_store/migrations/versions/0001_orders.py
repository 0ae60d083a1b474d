"""Demo shop orders.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""
from alembic import op
import sqlalchemy as sa

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "orders",
        sa.Column("order_id", sa.String(20), primary_key=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("courier", sa.String(40), nullable=True),
        sa.Column("tracking_number", sa.String(40), nullable=True),
        sa.Column("ordered_on", sa.Date, nullable=False),
        sa.Column("eta", sa.Date, nullable=True),
        sa.Column("item_count", sa.Integer, nullable=False, server_default="1"),
    )


def downgrade() -> None:
    op.drop_table("orders")
