"""Per-conversation metric counters, so the metrics read ``conversations`` only.

Adds to ``conversations``: ``has_handoff``, ``repeat_within_7d`` (FCR: the
same customer started another conversation with the same primary topic
within 7 days after this one) and the survey tallies (``survey_asked``,
``survey_answered``, ``resolved_answered``, ``resolved_yes``, ``csat_count``,
``csat_sum``, ``csat_high``, ``ces_count``, ``ces_sum``, ``ces_easy``,
``nps_count``, ``nps_promoters``, ``nps_detractors``), and back-fills them
from the existing rows with set-based UPDATEs (same SQL on SQLite and
PostgreSQL). From here on the write path keeps them current. Index
``(has_handoff, started_at)`` serves the handoff percentiles.

Revision ID: 0006
Revises: 0005 (metrics indexes)
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op

from cxm_store.sqlfuncs import seconds_between

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_FLAGS = ("has_handoff", "repeat_within_7d")
_TALLIES = (
    "survey_asked", "survey_answered", "resolved_answered", "resolved_yes",
    "csat_count", "csat_sum", "csat_high", "ces_count", "ces_sum", "ces_easy",
    "nps_count", "nps_promoters", "nps_detractors",
)
REPEAT_WINDOW_S = 7 * 86400

conversations = sa.table(
    "conversations",
    sa.column("id", sa.Integer),
    sa.column("customer_id", sa.Integer),
    sa.column("started_at", sa.DateTime),
    sa.column("primary_topic", sa.String),
    *(sa.column(name, sa.Boolean) for name in _FLAGS),
    *(sa.column(name, sa.Integer) for name in _TALLIES),
)
answers = sa.table(
    "survey_answers",
    sa.column("conversation_id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("status", sa.String),
    sa.column("score", sa.Integer),
)
handoffs = sa.table("handoffs", sa.column("conversation_id", sa.Integer))


def _tally_expressions():
    a = answers.c
    answered = a.status == "answered"
    scored = sa.and_(answered, a.score.isnot(None))

    def count_if(*conditions):
        return sa.func.coalesce(sa.func.sum(sa.case((sa.and_(*conditions), 1), else_=0)), 0)

    def score_sum(kind):
        return sa.func.coalesce(
            sa.func.sum(sa.case((sa.and_(scored, a.kind == kind), a.score), else_=0)), 0
        )

    return {
        "survey_asked": sa.func.count(),
        "survey_answered": count_if(answered),
        "resolved_answered": count_if(scored, a.kind == "resolved"),
        "resolved_yes": count_if(scored, a.kind == "resolved", a.score == 1),
        "csat_count": count_if(scored, a.kind == "csat"),
        "csat_sum": score_sum("csat"),
        "csat_high": count_if(scored, a.kind == "csat", a.score.between(4, 5)),
        "ces_count": count_if(scored, a.kind == "ces"),
        "ces_sum": score_sum("ces"),
        "ces_easy": count_if(scored, a.kind == "ces", a.score.between(5, 7)),
        "nps_count": count_if(scored, a.kind == "nps"),
        "nps_promoters": count_if(scored, a.kind == "nps", a.score >= 9),
        "nps_detractors": count_if(scored, a.kind == "nps", a.score <= 6),
    }


def upgrade() -> None:
    for name in _FLAGS:
        op.add_column(
            "conversations",
            sa.Column(name, sa.Boolean(), nullable=False, server_default=sa.false()),
        )
    for name in _TALLIES:
        op.add_column(
            "conversations",
            sa.Column(name, sa.Integer(), nullable=False, server_default="0"),
        )

    # The handoff percentiles start from the selected conversations with a handoff.
    op.create_index(
        "ix_conversations_handoff_started", "conversations", ["has_handoff", "started_at"]
    )

    c = conversations.c
    # Handoffs.
    op.execute(
        conversations.update()
        .where(sa.exists().where(handoffs.c.conversation_id == c.id))
        .values(has_handoff=sa.true())
    )
    # Survey tallies: one correlated aggregate per column, only for surveyed conversations.
    mine = answers.c.conversation_id == c.id
    op.execute(
        conversations.update()
        .where(sa.exists().where(mine))
        .values(
            {
                name: sa.select(expression).where(mine).scalar_subquery()
                for name, expression in _tally_expressions().items()
            }
        )
    )
    # FCR repeats: a later conversation of the same customer, same primary topic,
    # started after this one and at most 7 x 24 h after its start.
    later = conversations.alias("later")
    op.execute(
        conversations.update()
        .where(
            c.primary_topic.isnot(None),
            sa.exists().where(
                later.c.customer_id == c.customer_id,
                later.c.primary_topic == c.primary_topic,
                later.c.id != c.id,
                later.c.started_at > c.started_at,
                seconds_between(later.c.started_at, c.started_at) <= REPEAT_WINDOW_S,
            ),
        )
        .values(repeat_within_7d=sa.true())
    )


def downgrade() -> None:
    op.drop_index("ix_conversations_handoff_started", table_name="conversations")
    with op.batch_alter_table("conversations") as batch:
        for name in reversed(_FLAGS + _TALLIES):
            batch.drop_column(name)
