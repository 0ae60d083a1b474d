"""Daily rollups: the metric counters summed per shop-local day, channel, language, agent
and topic, kept by triggers in the same transaction as each conversation's change.

See :mod:`cxm_store.rollups` (the table, its triggers and the rebuild) and
:mod:`cx_reports.rollup_figures` (how the dashboard reads it).

Revision ID: 0011
Revises: 0010 (audit log)
Create Date: 2026-11-30
"""
from alembic import op

from cxm_store import rollups, settings

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    rollups.create_tables(bind)
    rollups.rebuild(bind, settings.shop_timezone())


def downgrade() -> None:
    rollups.drop(op.get_bind())
