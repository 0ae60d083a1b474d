"""Audit log: who read or exported what, and every purge, erasure and account change.

Also: ``handoff_tickets.contact`` becomes TEXT, room for its ciphertext
(cxm_store.encryption; 200 characters encrypt to about 300).

Revision ID: 0010
Revises: 0009 (console's working tools)
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("subject", sa.String(200), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    with op.batch_alter_table("handoff_tickets") as batch:
        batch.alter_column("contact", type_=sa.Text(), existing_type=sa.String(200), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("handoff_tickets") as batch:
        batch.alter_column("contact", type_=sa.String(200), existing_type=sa.Text(), existing_nullable=False)
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.drop_table("audit_log")
