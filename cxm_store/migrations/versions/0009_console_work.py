"""The agent console's working tools: canned responses, notes and transfers, pictures, survey texts.

Adds:

* ``canned_responses``: short answers leads keep per language, inserted by
  agents with ``/`` + their shortcut.
* ``handoff_notes``: what agents write for each other on a conversation
  (``kind`` ``note``) and transfers (``kind`` ``transfer``, with the agent it
  went from and to; to nobody = back to the queue). Never sent to the customer.
* ``handoffs.notes_count`` and ``handoffs.transfers_count``: the handoff
  record counts them.
* ``customer_images``: pictures customers sent (stored without metadata), per
  conversation, erasable per customer.
* ``survey_texts``: the survey questions and buttons per language as leads
  wrote them, one row per version; ``survey_answers.text_version`` keeps the
  version each answer was given to.

Revision ID: 0009
Revises: 0008 (customer journey, issue 14)
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _conversation_fk(name: str) -> sa.ForeignKey:
    return sa.ForeignKey("conversations.id", ondelete="CASCADE", name=name)


def upgrade() -> None:
    op.create_table(
        "canned_responses",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("shortcut", sa.String(40), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("title", sa.String(120), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.String(80), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("shortcut", "language", name="uq_canned_shortcut_language"),
    )
    op.create_table(
        "handoff_notes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "handoff_id",
            sa.Integer(),
            sa.ForeignKey("handoffs.id", ondelete="CASCADE", name="fk_handoff_notes_handoff"),
            nullable=False,
        ),
        sa.Column("conversation_id", sa.Integer(), _conversation_fk("fk_handoff_notes_conversation"), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("author", sa.String(80), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("from_agent", sa.String(80), nullable=True),
        sa.Column("to_agent", sa.String(80), nullable=True),
        sa.Index("ix_handoff_notes_conversation", "conversation_id", "at"),
    )
    with op.batch_alter_table("handoffs") as batch:
        batch.add_column(sa.Column("notes_count", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("transfers_count", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "customer_images",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("conversation_id", sa.Integer(), _conversation_fk("fk_customer_images_conversation"), nullable=False),
        sa.Column("customer_id", sa.Integer(), sa.ForeignKey("customers.id", ondelete="CASCADE", name="fk_customer_images_customer"), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("content_type", sa.String(20), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(200), nullable=False),
        sa.Column("claim_topic", sa.String(40), nullable=True),
        sa.Index("ix_customer_images_conversation", "conversation_id"),
    )
    op.create_table(
        "survey_texts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("buttons", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.String(80), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("kind", "language", "version", name="uq_survey_texts_version"),
    )
    with op.batch_alter_table("survey_answers") as batch:
        batch.add_column(sa.Column("text_version", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("survey_answers") as batch:
        batch.drop_column("text_version")
    op.drop_table("survey_texts")
    op.drop_table("customer_images")
    with op.batch_alter_table("handoffs") as batch:
        batch.drop_column("transfers_count")
        batch.drop_column("notes_count")
    op.drop_table("handoff_notes")
    op.drop_table("canned_responses")
