"""The journey funnel's stages and the sentiment counts in the daily rollup.

``daily_rollups`` gains :data:`cxm_store.rollups.FUNNEL_MEASURES` (conversations
that reached each stage after "started") and
:data:`cxm_store.rollups.SENTIMENT_MEASURES` (conversations with a scored, and
with a negative, customer message); the rollup and its triggers are rebuilt for
the zone it already holds. A store created at 0011 already has them (0011
creates the table as the code defines it), so only missing columns are added.

Revision ID: 0013
Revises: 0012 (handoff-duration histograms)
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

from cxm_store import rollups

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_ADDED = rollups.FUNNEL_MEASURES + rollups.SENTIMENT_MEASURES


def upgrade() -> None:
    bind = op.get_bind()
    present = {column["name"] for column in sa.inspect(bind).get_columns("daily_rollups")}
    for name in _ADDED:
        if name not in present:
            op.add_column("daily_rollups",
                          sa.Column(name, sa.Integer, nullable=False, server_default="0"))
    rollups.upgrade(bind)


def downgrade() -> None:
    # The triggers write these columns: they go first. The code of 0012 re-creates its
    # own with `python -m cxm_store rollups --rebuild`.
    rollups.drop_triggers(op.get_bind())
    with op.batch_alter_table("daily_rollups") as batch:
        for name in _ADDED:
            batch.drop_column(name)
