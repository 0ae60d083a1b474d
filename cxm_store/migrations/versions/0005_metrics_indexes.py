"""Indexes for the CX metrics on a large history.

* ``survey_answers (conversation_id, kind, status, score)``: covers the FCR,
  response-rate and CSAT/CES/NPS joins, so they never read the table rows.
* ``conversations (customer_id, primary_topic, started_at)``: the FCR repeat
  look-up (same customer, same primary topic, started within 7 days after).

Revision ID: 0005
Revises: 0004 (open conversations)
Create Date: 2026-11-22
"""
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_survey_answers_conversation_kind_status_score",
        "survey_answers",
        ["conversation_id", "kind", "status", "score"],
    )
    op.create_index(
        "ix_conversations_customer_topic_started",
        "conversations",
        ["customer_id", "primary_topic", "started_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_conversations_customer_topic_started", table_name="conversations")
    op.drop_index(
        "ix_survey_answers_conversation_kind_status_score", table_name="survey_answers"
    )
