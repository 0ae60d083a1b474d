"""Open = not ended; the ``unresolved`` outcome.

A conversation now stays open (``ended_at`` NULL) until it is idle for the
inactivity window, even once its outcome is known, so the index serving the
open-conversation look-up and the idle sweep moves from ``outcome`` to
``ended_at``. ``unresolved`` joins the allowed outcomes.

Revision ID: 0004
Revises: 0003 (agent console)
Create Date: 2026-11-23
"""
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_OLD = "outcome IS NULL OR outcome IN ('resolved', 'escalated', 'abandoned')"
_NEW = "outcome IS NULL OR outcome IN ('resolved', 'unresolved', 'escalated', 'abandoned')"


def _swap(check: str, index_columns: list) -> None:
    # Batch mode (SQLite) rebuilds the table; on PostgreSQL these are plain ALTERs.
    with op.batch_alter_table("conversations") as batch:
        batch.drop_index("ix_conversations_open")
        batch.drop_constraint("ck_conversations_outcome", type_="check")
        batch.create_check_constraint("ck_conversations_outcome", check)
        batch.create_index("ix_conversations_open", index_columns)


def upgrade() -> None:
    _swap(_NEW, ["ended_at", "last_activity_at"])


def downgrade() -> None:
    # The old constraint rejects ``unresolved``; ``abandoned`` is the old
    # outcome closest to it that neither counts as contained nor as escalated.
    op.execute("UPDATE conversations SET outcome = 'abandoned' WHERE outcome = 'unresolved'")
    _swap(_OLD, ["outcome", "last_activity_at"])
