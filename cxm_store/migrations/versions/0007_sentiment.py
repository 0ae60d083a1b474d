"""Sentiment of customer messages, and its per-conversation counters.

Adds to ``messages``: ``sentiment`` (``negative`` / ``neutral`` /
``positive``) and ``sentiment_score`` (P(positive) - P(negative), -1..1), both
NULL for bot and agent lines and for messages stored before this revision
(the model is a build artefact; old transcripts are not re-scored). Adds to
``conversations``: ``sentiment_count`` (scored customer messages),
``sentiment_sum`` (their scores' sum, for the mean) and ``negative_messages``
(how many were negative), kept by the write path from here on.

Revision ID: 0007
Revises: 0006 (metric counters)
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("messages", sa.Column("sentiment", sa.String(8), nullable=True))
    op.add_column("messages", sa.Column("sentiment_score", sa.Float(), nullable=True))
    op.add_column(
        "conversations",
        sa.Column("sentiment_count", sa.Integer(), nullable=False, server_default="0"),
    )
    op.add_column(
        "conversations",
        sa.Column("sentiment_sum", sa.Float(), nullable=False, server_default="0"),
    )
    op.add_column(
        "conversations",
        sa.Column("negative_messages", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        for name in ("negative_messages", "sentiment_sum", "sentiment_count"):
            batch.drop_column(name)
    with op.batch_alter_table("messages") as batch:
        for name in ("sentiment_score", "sentiment"):
            batch.drop_column(name)
