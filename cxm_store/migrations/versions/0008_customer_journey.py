"""One customer across channels, and follow-ups of unhappy customers.

Adds the contact on an order (``orders.contact_phone``, ``contact_email``:
the proof that a channel identity belongs to the order's customer), the
absorbed customer's pointer to the one it was merged into
(``customers.merged_into_id``), the proofs and links themselves
(``order_proofs``, ``link_codes``, ``link_attempts``, ``customer_links``) and
the closed loop (``follow_ups``, ``follow_up_notes``).

Revision ID: 0008
Revises: 0007 (sentiment)
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _fk(target: str, name: str) -> sa.ForeignKey:
    return sa.ForeignKey(target, ondelete="CASCADE", name=name)


def upgrade() -> None:
    op.add_column("orders", sa.Column("contact_phone", sa.String(32), nullable=True))
    op.add_column("orders", sa.Column("contact_email", sa.String(200), nullable=True))
    op.add_column("customers", sa.Column("merged_into_id", sa.Integer(), nullable=True))
    op.create_table(
        "order_proofs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("order_id", sa.String(20), nullable=False),
        sa.Column("customer_id", sa.Integer(), _fk("customers.id", "fk_order_proofs_customer"),
                  nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("external_id", sa.String(128), nullable=False),
        sa.Column("proved_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("order_id", "channel", "external_id", name="uq_order_proofs_identity"),
    )
    op.create_table(
        "link_codes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("customer_id", sa.Integer(), _fk("customers.id", "fk_link_codes_customer"),
                  nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("external_id", sa.String(128), nullable=False),
        sa.Column("code_sha256", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.UniqueConstraint("code_sha256", name="uq_link_codes_code"),
    )
    op.create_table(
        "link_attempts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("external_id", sa.String(128), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
    )
    op.create_index(
        "ix_link_attempts_identity_at", "link_attempts", ["channel", "external_id", "at"]
    )
    op.create_table(
        "customer_links",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("customer_id", sa.Integer(), _fk("customers.id", "fk_customer_links_customer"),
                  nullable=False),
        sa.Column("merged_customer_id", sa.Integer(), nullable=False),
        sa.Column("proof", sa.String(10), nullable=False),
        sa.Column("evidence", sa.String(80), nullable=True),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("external_id", sa.String(128), nullable=False),
        sa.Column("linked_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("proof IN ('order', 'code')", name="ck_customer_links_proof"),
    )
    op.create_index("ix_customer_links_customer", "customer_links", ["customer_id"])
    op.create_table(
        "follow_ups",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("conversation_id", sa.Integer(),
                  _fk("conversations.id", "fk_follow_ups_conversation"), nullable=False),
        sa.Column("customer_id", sa.Integer(), _fk("customers.id", "fk_follow_ups_customer"),
                  nullable=False),
        sa.Column("reason", sa.String(12), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("owner", sa.String(80), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("outcome", sa.String(12), nullable=True),
        sa.Column("closed_by", sa.String(80), nullable=True),
        sa.UniqueConstraint("conversation_id", name="uq_follow_ups_conversation"),
        sa.CheckConstraint(
            "reason IN ('csat', 'nps', 'unresolved', 'negative')", name="ck_follow_ups_reason"
        ),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN ('reached', 'resolved', 'unreachable')",
            name="ck_follow_ups_outcome",
        ),
    )
    op.create_index("ix_follow_ups_open_due", "follow_ups", ["closed_at", "due_at"])
    op.create_index("ix_follow_ups_opened", "follow_ups", ["opened_at"])
    op.create_index("ix_follow_ups_customer", "follow_ups", ["customer_id"])
    op.create_table(
        "follow_up_notes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("follow_up_id", sa.Integer(),
                  _fk("follow_ups.id", "fk_follow_up_notes_follow_up"), nullable=False),
        sa.Column("author", sa.String(80), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
    )
    op.create_index("ix_follow_up_notes_follow_up", "follow_up_notes", ["follow_up_id"])


def downgrade() -> None:
    op.drop_table("follow_up_notes")
    op.drop_table("follow_ups")
    op.drop_table("customer_links")
    op.drop_table("link_attempts")
    op.drop_table("link_codes")
    op.drop_table("order_proofs")
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("merged_into_id")
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("contact_email")
        batch.drop_column("contact_phone")
