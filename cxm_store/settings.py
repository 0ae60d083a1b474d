"""Settings of the cxm_store process, read once from the environment."""
import os
from dataclasses import dataclass, field


def _default_database_url() -> str:
    os.makedirs("var", exist_ok=True)
    return "sqlite:///var/cxm.db"


def _env(name: str, default: str) -> str:
    return os.environ.get(name) or default


def shop_timezone() -> str:
    """The shop's IANA time zone (``CXM_TIMEZONE``, default ``Asia/Jakarta``)."""
    return _env("CXM_TIMEZONE", "Asia/Jakarta")


TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")


def parse_flag(value: object, default: bool, name: str) -> bool:
    """The one reading of an on/off setting, for every process.

    ``1/true/yes/on`` is on, ``0/false/no/off`` is off (any case), empty or
    unset is ``default``; anything else is refused with the setting's name,
    so a typo such as ``enabled`` cannot silently mean on in one place and
    off in another.
    """
    if isinstance(value, bool):
        return value
    text = "" if value is None else str(value).strip().lower()
    if not text:
        return default
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ValueError(f"{name} must be one of {TRUE_WORDS + FALSE_WORDS}, not {value!r}")


def _flag(name: str, default: bool) -> bool:
    return parse_flag(os.environ.get(name), default, name)


@dataclass(frozen=True)
class StoreSettings:
    """Where the store keeps its data, and how the agent console behaves.

    Attributes:
        database_url: SQLAlchemy URL; SQLite file by default, PostgreSQL in
            production (``postgresql://user@host:5432/cxm``).
        rasa_url: Base URL of the Rasa server's HTTP API (``RASA_URL``); the
            console delivers agent replies and hands conversations back through it.
        rasa_auth_token: Token of that API (``RASA_AUTH_TOKEN``).
        session_hours: A console login ends after this many idle hours
            (``CXM_SESSION_HOURS``, default 8; fractions allowed).
        session_max_hours: ...and this many hours after it began, however
            busy (``CXM_SESSION_MAX_HOURS``, default 12: a working day).
        business_hours: When agents work, ``HH:MM-HH:MM`` local time
            (``CXM_BUSINESS_HOURS``, default ``08:00-21:00``).
        timezone: IANA zone of the business hours, of times shown to agents and
            of the days and weeks of every report (``CXM_TIMEZONE``, default
            ``Asia/Jakarta``).
        secure_cookies: Mark the console's cookies ``Secure``, so browsers send
            them over https only (``CXM_SECURE_COOKIES``, default on). Turned
            off only explicitly (``CXM_SECURE_COOKIES=0``) for plain http on
            one's own machine; ``make run`` does so when it binds to loopback.
        live_redis_url: Redis URL through which the console processes share live
            events (``CXM_LIVE_REDIS_URL``); empty: each process fans out its own.
    """

    database_url: str = field(
        default_factory=lambda: os.environ.get("CXM_DATABASE_URL") or _default_database_url()
    )
    rasa_url: str = field(default_factory=lambda: _env("RASA_URL", "http://127.0.0.1:5005"))
    rasa_auth_token: str = field(default_factory=lambda: os.environ.get("RASA_AUTH_TOKEN", ""))
    session_hours: float = field(default_factory=lambda: float(_env("CXM_SESSION_HOURS", "8")))
    session_max_hours: float = field(
        default_factory=lambda: float(_env("CXM_SESSION_MAX_HOURS", "12"))
    )
    business_hours: str = field(default_factory=lambda: _env("CXM_BUSINESS_HOURS", "08:00-21:00"))
    timezone: str = field(default_factory=shop_timezone)
    secure_cookies: bool = field(default_factory=lambda: _flag("CXM_SECURE_COOKIES", True))
    live_redis_url: str = field(default_factory=lambda: os.environ.get("CXM_LIVE_REDIS_URL", ""))


def load() -> StoreSettings:
    """Return the settings for this process."""
    return StoreSettings()
