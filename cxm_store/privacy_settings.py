"""How long each kind of personal data is kept, and where its copies outside the store are.

Read from the environment once per call of :func:`load`:

========================  ================================  =======
variable                  kind of data                      default
========================  ================================  =======
CXM_RETAIN_TRANSCRIPTS    transcript lines, survey          365
                          comments, notes, pictures
CXM_RETAIN_TICKETS        messages and contacts left out    180
                          of hours
CXM_RETAIN_TRACKER        the assistant's own event log     90
                          (Rasa's tracker store)
CXM_RETAIN_AUDIT          the audit log                     730
========================  ================================  =======

Days, counted from the end of a conversation (transcripts), the creation of
a ticket, the event's time, the entry's time; 0 keeps that kind for ever.
Conversation rows and their metric counters are never purged: reports over
old periods stay what they were, without anyone's words in them.
"""
import os
from dataclasses import dataclass, field
from typing import Tuple


def _days(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    days = int(value) if value else default
    if days < 0:
        raise ValueError(f"{name} must be 0 (keep) or a number of days, not {days}")
    return days


def _paths(name: str, default: str) -> Tuple[str, ...]:
    return tuple((os.environ.get(name) or default).split())


@dataclass(frozen=True)
class PrivacySettings:
    """Retention periods (days, 0 = keep) and the places copies of personal data may lie.

    Attributes:
        tracker_store_url: The assistant's tracker store (``TRACKER_STORE_URL``,
            as the bot processes read it): its ``events`` table is purged and erased.
        spool_dirs: Capture's spool and rejected files (``CAPTURE_SPOOL_DIR``).
        log_dirs: Directories of process logs scrubbed on erasure (``CXM_LOG_DIRS``,
            space-separated).
        purge_interval_hours: How often the console runs the purge (``CXM_PURGE_INTERVAL_HOURS``;
            0 turns the scheduled job off).
    """

    transcripts_days: int = field(default_factory=lambda: _days("CXM_RETAIN_TRANSCRIPTS", 365))
    tickets_days: int = field(default_factory=lambda: _days("CXM_RETAIN_TICKETS", 180))
    tracker_days: int = field(default_factory=lambda: _days("CXM_RETAIN_TRACKER", 90))
    audit_days: int = field(default_factory=lambda: _days("CXM_RETAIN_AUDIT", 730))
    tracker_store_url: str = field(
        default_factory=lambda: os.environ.get("TRACKER_STORE_URL") or "sqlite:///var/tracker.db"
    )
    spool_dirs: Tuple[str, ...] = field(default_factory=lambda: _paths("CAPTURE_SPOOL_DIR", "var/capture-spool"))
    log_dirs: Tuple[str, ...] = field(default_factory=lambda: _paths("CXM_LOG_DIRS", "var/log"))
    purge_interval_hours: float = field(
        default_factory=lambda: float(os.environ.get("CXM_PURGE_INTERVAL_HOURS") or 24)
    )


def load() -> PrivacySettings:
    """Return the settings for this process."""
    return PrivacySettings()
