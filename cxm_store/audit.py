"""The audit log: who read or exported customers' data, and what was purged or erased.

Written by the console (every transcript read, every export, account
changes made there) and by the command line (purges, erasures, account
lifecycle). Admins read it in the console (``/console/audit``). An entry
names people by their console username, customers by the store's own
customer number: it never quotes what a customer typed or how to reach
them, so erasing a customer leaves the log intact and still clean.
"""
import json
from datetime import datetime
from typing import Any, Dict, List, Optional

from sqlalchemy import Column, DateTime, Index, Integer, String, Text, insert, select
from sqlalchemy.engine import Engine

from cxm_store.db import Base, default_engine

# Who acts when no console user does: ``python -m cxm_store ...`` and the
# console's scheduled retention job.
COMMAND_LINE = "command-line"
SCHEDULER = "scheduler"


class AuditEntry(Base):
    """One audited action (migration 0010)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"),)

    id = Column(Integer, primary_key=True)
    at = Column(DateTime, nullable=False)
    actor = Column(String(80), nullable=False)
    action = Column(String(40), nullable=False)
    subject = Column(String(200), nullable=True)
    detail = Column(Text, nullable=True)


def record(
    actor: str,
    action: str,
    subject: Optional[str] = None,
    detail: Optional[Dict[str, Any]] = None,
    engine: Engine = None,
    connection: Any = None,
) -> None:
    """Write one entry.

    Args:
        actor: Console username, ``COMMAND_LINE`` or ``SCHEDULER``.
        action: What was done (``read_transcript``, ``export``, ``purge``,
            ``erase``, ``user_deactivate``...).
        subject: What it was done to (``conversation 12``, ``customer 7``, a username).
        detail: Figures worth keeping (rows purged, the filter of an export).
        engine: Store engine (default: the configured one).
        connection: Write within this transaction instead (e.g. the erasure's own).
    """
    statement = insert(AuditEntry).values(
        at=datetime.utcnow(), actor=actor[:80], action=action[:40],
        subject=subject[:200] if subject else None,
        detail=json.dumps(detail, sort_keys=True, default=str) if detail else None,
    )
    if connection is not None:
        connection.execute(statement)
        return
    with (engine or default_engine()).begin() as own:
        own.execute(statement)


def recent(limit: int = 200, action: Optional[str] = None, engine: Engine = None) -> List[Dict[str, Any]]:
    """The newest entries first, as plain dicts (``detail`` decoded)."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if action:
        query = query.where(AuditEntry.action == action)
    with (engine or default_engine()).connect() as connection:
        rows = connection.execute(query).mappings().all()
    return [
        {**row, "at": row["at"].isoformat(timespec="seconds"),
         "detail": json.loads(row["detail"]) if row["detail"] else None}
        for row in rows
    ]
