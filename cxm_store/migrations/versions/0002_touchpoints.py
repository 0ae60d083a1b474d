"""Touchpoints: customers, conversations, transcripts, surveys and handoffs.

Hand-written so it runs the same on SQLite and PostgreSQL: plain types, named
constraints, no dialect-only features. The indexes serve the metric queries
(window on started_at, repeat-contact look-up per customer, topic filter) and
the hot write path (open conversation of a customer, idle sweep).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""
from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "customer_identities",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "customer_id",
            sa.Integer,
            sa.ForeignKey("customers.id", ondelete="CASCADE", name="fk_customer_identities_customer"),
            nullable=False,
        ),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("external_id", sa.String(128), nullable=False),
        sa.UniqueConstraint("channel", "external_id", name="uq_customer_identities_channel_external"),
    )
    op.create_index("ix_customer_identities_customer", "customer_identities", ["customer_id"])

    op.create_table(
        "conversations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "customer_id",
            sa.Integer,
            sa.ForeignKey("customers.id", ondelete="CASCADE", name="fk_conversations_customer"),
            nullable=False,
        ),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("language", sa.String(8), nullable=True),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("last_activity_at", sa.DateTime, nullable=False),
        sa.Column("ended_at", sa.DateTime, nullable=True),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("primary_topic", sa.String(80), nullable=True),
        sa.Column("customer_message_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("bot_message_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("agent_message_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("fallback_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("resolved_confirmed", sa.Boolean, nullable=True),
        sa.Column("agent", sa.String(80), nullable=True),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN ('resolved', 'escalated', 'abandoned')",
            name="ck_conversations_outcome",
        ),
    )
    op.create_index("ix_conversations_started_at", "conversations", ["started_at"])
    op.create_index(
        "ix_conversations_customer_started", "conversations", ["customer_id", "started_at"]
    )
    op.create_index("ix_conversations_open", "conversations", ["outcome", "last_activity_at"])

    op.create_table(
        "conversation_topics",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "conversation_id",
            sa.Integer,
            sa.ForeignKey(
                "conversations.id", ondelete="CASCADE", name="fk_conversation_topics_conversation"
            ),
            nullable=False,
        ),
        sa.Column("topic", sa.String(80), nullable=False),
        sa.Column("first_seen_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("conversation_id", "topic", name="uq_conversation_topics_pair"),
    )
    op.create_index(
        "ix_conversation_topics_topic", "conversation_topics", ["topic", "conversation_id"]
    )

    op.create_table(
        "messages",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "conversation_id",
            sa.Integer,
            sa.ForeignKey("conversations.id", ondelete="CASCADE", name="fk_messages_conversation"),
            nullable=False,
        ),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("sender", sa.String(10), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("intent", sa.String(80), nullable=True),
        sa.Column("confidence", sa.Float, nullable=True),
        sa.Column("is_fallback", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_index("ix_messages_conversation_at", "messages", ["conversation_id", "at"])

    op.create_table(
        "survey_answers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "conversation_id",
            sa.Integer,
            sa.ForeignKey(
                "conversations.id", ondelete="CASCADE", name="fk_survey_answers_conversation"
            ),
            nullable=False,
        ),
        sa.Column(
            "customer_id",
            sa.Integer,
            sa.ForeignKey("customers.id", ondelete="CASCADE", name="fk_survey_answers_customer"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("score", sa.Integer, nullable=True),
        sa.Column("comment", sa.Text, nullable=True),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("asked_at", sa.DateTime, nullable=False),
        sa.Column("answered_at", sa.DateTime, nullable=True),
        sa.Column("agent", sa.String(80), nullable=True),
    )
    op.create_index(
        "ix_survey_answers_conversation_kind", "survey_answers", ["conversation_id", "kind"]
    )
    # Serves the NPS once-per-90-days check.
    op.create_index(
        "ix_survey_answers_customer_kind_asked",
        "survey_answers",
        ["customer_id", "kind", "asked_at"],
    )

    op.create_table(
        "handoffs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "conversation_id",
            sa.Integer,
            sa.ForeignKey("conversations.id", ondelete="CASCADE", name="fk_handoffs_conversation"),
            nullable=False,
        ),
        sa.Column("reason", sa.String(80), nullable=True),
        sa.Column("requested_at", sa.DateTime, nullable=False),
        sa.Column("claimed_at", sa.DateTime, nullable=True),
        sa.Column("first_agent_reply_at", sa.DateTime, nullable=True),
        sa.Column("resolved_at", sa.DateTime, nullable=True),
        sa.Column("agent", sa.String(80), nullable=True),
        sa.Column("status", sa.String(16), nullable=False, server_default="requested"),
    )
    op.create_index("ix_handoffs_conversation", "handoffs", ["conversation_id"])


def downgrade() -> None:
    # Children first: foreign keys point at conversations and customers.
    for table in (
        "handoffs",
        "survey_answers",
        "messages",
        "conversation_topics",
        "conversations",
        "customer_identities",
        "customers",
    ):
        op.drop_table(table)
