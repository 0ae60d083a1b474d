"""Service-level breaches of settled handoffs per day: per topic, local day of the
conversation's start, its channel, language and agent, the handoff's agent and the primary
topic, the handoffs and their breaches per clock, kept by triggers; and the index of the
handoffs whose clocks still run (the dashboard counts those when asked).

See :mod:`cxm_store.service_level_rollups`. Rebuilt with the other rollups
(:func:`cxm_store.rollups.rebuild`), for the zone they hold and the configured levels.

Revision ID: 0015
Revises: 0014 (follow-up days)
Create Date: 2026-11-30
"""
from alembic import op
from sqlalchemy import text

from cxm_store import rollups, service_level_rollups
from cxm_store.models import HANDOFF_RUNNING

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_handoffs_running", "handoffs", ["requested_at"],
                    sqlite_where=text(HANDOFF_RUNNING), postgresql_where=text(HANDOFF_RUNNING))
    rollups.upgrade(op.get_bind())


def downgrade() -> None:
    service_level_rollups.drop(op.get_bind())
    op.drop_index("ix_handoffs_running", table_name="handoffs")
