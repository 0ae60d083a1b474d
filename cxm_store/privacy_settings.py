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
from typing import Any, Tuple

from pydantic import Field

from cxm_store.settings import DEFAULT_CAPTURE_SPOOL_DIR, EnvSettings

# Where copies of personal data may lie: space-separated directories.
_PATH_LISTS = ("spool_dirs", "log_dirs")


class PrivacySettings(EnvSettings):
    """Retention periods (days, 0 = keep) and the places copies of personal data may lie.

    Attributes:
        tracker_store_url: The assistant's tracker store (``TRACKER_STORE_URL``,
            as the bot processes read it): its ``events`` table is purged and erased.
        spool_dirs: Capture's spool and rejected files (``CAPTURE_SPOOL_DIR``).
        log_dirs: Directories of process logs scrubbed on erasure (``CXM_LOG_DIRS``,
            space-separated).
        webchat_push_url: The Redis holding replies on their way to web-chat customers
            (``WEBCHAT_PUSH_URL``, as the bot processes read it; empty: none): keys named
            after an erased customer's sender id are deleted. Its password: ``WEBCHAT_PUSH_PASSWORD``.
        purge_interval_hours: How often the console runs the purge (``CXM_PURGE_INTERVAL_HOURS``;
            0 turns the scheduled job off).
    """

    transcripts_days: int = Field(default=365, ge=0, env="CXM_RETAIN_TRANSCRIPTS")
    tickets_days: int = Field(default=180, ge=0, env="CXM_RETAIN_TICKETS")
    tracker_days: int = Field(default=90, ge=0, env="CXM_RETAIN_TRACKER")
    audit_days: int = Field(default=730, ge=0, env="CXM_RETAIN_AUDIT")
    tracker_store_url: str = Field(default="sqlite:///var/tracker.db", env="TRACKER_STORE_URL")
    spool_dirs: Tuple[str, ...] = Field(default=(DEFAULT_CAPTURE_SPOOL_DIR,), env="CAPTURE_SPOOL_DIR")
    log_dirs: Tuple[str, ...] = Field(default=("var/log",), env="CXM_LOG_DIRS")
    webchat_push_url: str = Field(default="", env="WEBCHAT_PUSH_URL")
    webchat_push_password: str = Field(default="", env="WEBCHAT_PUSH_PASSWORD", repr=False)
    purge_interval_hours: float = Field(default=24.0, ge=0, env="CXM_PURGE_INTERVAL_HOURS")

    class Config:
        @classmethod
        def parse_env_var(cls, field_name: str, raw_val: str) -> Any:
            if field_name in _PATH_LISTS:
                return tuple(raw_val.split())
            return raw_val


def load() -> PrivacySettings:
    """Return the settings for this process."""
    return PrivacySettings.current()
