"""The follow-ups' daily rollup: per topic, local day of opening, channel, language, agent and
close-time bucket, the follow-ups, those closed in time and the customers' score changes,
kept by triggers (the dashboard's follow-up figures read it).

See :mod:`cxm_store.follow_up_rollups`. Rebuilt with the other rollups
(:func:`cxm_store.rollups.rebuild`), for the zone they already hold.

Revision ID: 0014
Revises: 0013 (journey rollups)
Create Date: 2026-11-30
"""
from alembic import op

from cxm_store import follow_up_rollups, rollups

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    rollups.upgrade(op.get_bind())


def downgrade() -> None:
    follow_up_rollups.drop(op.get_bind())
