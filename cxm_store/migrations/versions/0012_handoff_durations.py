"""Handoff-duration histograms: per shop-local day, channel, language, agent, topic and clock,
the handoffs counted in fixed buckets, kept by triggers (the dashboard's percentiles read them).

See :mod:`cxm_store.duration_rollups`. The daily rollup is rebuilt with them
(:func:`cxm_store.rollups.rebuild`), for the zone it already holds.

Revision ID: 0012
Revises: 0011 (daily rollups)
Create Date: 2026-11-30
"""
from alembic import op

from cxm_store import duration_rollups, rollups

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    rollups.upgrade(op.get_bind())


def downgrade() -> None:
    bind = op.get_bind()
    duration_rollups.drop_triggers(bind)
    duration_rollups.handoff_durations.drop(bind)
    duration_rollups.duration_buckets.drop(bind)
