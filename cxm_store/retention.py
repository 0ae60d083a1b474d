"""Retention: personal data deleted once its configured period is over.

``purge()`` is run by ``python -m cxm_store purge`` and, every
``CXM_PURGE_INTERVAL_HOURS``, by the console process (``start_schedule``).
Periods per kind of data are in :mod:`cxm_store.privacy_settings`.

What goes, per kind, once older than its period:

* transcripts: the message lines of conversations that ended before the
  cut-off, their survey comments, agents' notes and customers' pictures;
* tickets: the message and contact a customer left out of hours (the
  handoff row, which metrics count, stays);
* tracker: the assistant's own events (Rasa's tracker store) and capture's
  rejected files;
* audit: audit log entries.

Conversation rows and their counters stay, so every report is unchanged.
Each run is written to the audit log with what it removed.
"""
import asyncio
import logging
import os
from datetime import datetime, timedelta
from typing import Any, Dict, Optional

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Engine

from cxm_store import audit, outside_copies
from cxm_store.console_models import CustomerImage, HandoffNote
from cxm_store.db import default_engine
from cxm_store.models import Conversation, HandoffTicket, Message, SurveyAnswer
from cxm_store.privacy_settings import PrivacySettings

logger = logging.getLogger(__name__)
_DAY_S = 86400.0


def _cutoff(now: datetime, days: int) -> Optional[datetime]:
    return now - timedelta(days=days) if days else None


def purge(
    now: Optional[datetime] = None,
    actor: str = audit.COMMAND_LINE,
    engine: Engine = None,
    privacy: Optional[PrivacySettings] = None,
) -> Dict[str, int]:
    """Delete what is past its retention period; return how much of each kind went.

    Args:
        now: The moment periods count back from (naive UTC; default: now).
        actor: Who runs it (``audit.COMMAND_LINE`` or ``audit.SCHEDULER``).
        engine: The CX store (default: the configured one).
        privacy: Periods and places (default: environment).
    """
    now = now or datetime.utcnow()
    privacy = privacy or PrivacySettings()
    engine = engine or default_engine()
    counts: Dict[str, int] = {}
    with engine.begin() as connection:
        transcripts = _cutoff(now, privacy.transcripts_days)
        if transcripts:
            ended = select(Conversation.id).where(Conversation.ended_at < transcripts)
            counts["messages"] = connection.execute(
                delete(Message).where(Message.conversation_id.in_(ended))).rowcount
            counts["survey_comments"] = connection.execute(update(SurveyAnswer).where(
                SurveyAnswer.conversation_id.in_(ended), SurveyAnswer.comment.isnot(None)
            ).values(comment=None)).rowcount
            counts["notes"] = connection.execute(
                delete(HandoffNote).where(HandoffNote.conversation_id.in_(ended))).rowcount
            pictures = select(CustomerImage.path).where(CustomerImage.conversation_id.in_(ended))
            for (path,) in connection.execute(pictures).all():
                if path and os.path.exists(path):
                    os.unlink(path)
            counts["pictures"] = connection.execute(
                delete(CustomerImage).where(CustomerImage.conversation_id.in_(ended))).rowcount
        tickets = _cutoff(now, privacy.tickets_days)
        if tickets:
            counts["tickets"] = connection.execute(
                delete(HandoffTicket).where(HandoffTicket.created_at < tickets)).rowcount
        audit_cutoff = _cutoff(now, privacy.audit_days)
        if audit_cutoff:
            counts["audit_entries"] = connection.execute(
                delete(audit.AuditEntry).where(audit.AuditEntry.at < audit_cutoff)).rowcount
    if privacy.tracker_days:
        before = (now - timedelta(days=privacy.tracker_days) - datetime(1970, 1, 1)).total_seconds()
        counts["tracker_events"] = outside_copies.purge_tracker_events(privacy.tracker_store_url, before)
        counts["rejected_files"] = outside_copies.remove_old_files(
            privacy.spool_dirs, ("rejected-*.jsonl",), privacy.tracker_days * _DAY_S)
    audit.record(actor, "purge", detail=counts, engine=engine)
    return counts


async def run_schedule(engine: Engine, privacy: PrivacySettings) -> None:
    """Purge now and then every ``purge_interval_hours`` until cancelled (the console's task).

    A failed run is logged and tried again at the next interval; running it in
    several console processes at once is harmless (each deletes what is left).
    """
    loop = asyncio.get_running_loop()
    while True:
        try:
            counts: Any = await loop.run_in_executor(
                None, lambda: purge(actor=audit.SCHEDULER, engine=engine, privacy=privacy))
            logger.info("retention: purged %s", counts)
        except Exception:  # noqa: BLE001 - the next run tries again
            logger.exception("retention: purge failed")
        await asyncio.sleep(privacy.purge_interval_hours * 3600)


