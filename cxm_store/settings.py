"""Settings of the cxm_store process, read once from the environment.

Every process's settings are one :class:`EnvSettings` object (pydantic's
``BaseSettings``): typed, validated when the process starts, each field
naming its environment variable. An empty variable counts as unset, and an
on/off setting is read by :func:`parse_flag`, the same in every process.
"""
import os
from typing import Any, Dict

from pydantic import BaseSettings, Field, root_validator, validator


def _default_database_url() -> str:
    os.makedirs("var", exist_ok=True)
    return "sqlite:///var/cxm.db"


DEFAULT_SHOP_TIMEZONE = "Asia/Jakarta"


def shop_timezone() -> str:
    """The shop's IANA time zone (``CXM_TIMEZONE``, default ``Asia/Jakarta``)."""
    return os.environ.get("CXM_TIMEZONE") or DEFAULT_SHOP_TIMEZONE


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


class EnvSettings(BaseSettings):
    """Settings read from the environment when created; immutable afterwards."""

    class Config:
        frozen = True
        case_sensitive = True

    @root_validator(pre=True)
    def _empty_is_unset(cls, values: Dict[str, Any]) -> Dict[str, Any]:
        # ``FOO=`` in a shell or a compose file means "not set", not "empty".
        return {name: value for name, value in values.items() if value != ""}


def flag_setting(field: str, variable: str, default: bool) -> Any:
    """A validator reading ``field`` with :func:`parse_flag`, naming ``variable`` when refused."""
    return validator(field, pre=True, allow_reuse=True)(lambda value: parse_flag(value, default, variable))


class StoreSettings(EnvSettings):
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

    database_url: str = Field(default_factory=_default_database_url, env="CXM_DATABASE_URL")
    rasa_url: str = Field(default="http://127.0.0.1:5005", env="RASA_URL")
    rasa_auth_token: str = Field(default="", env="RASA_AUTH_TOKEN", repr=False)
    session_hours: float = Field(default=8.0, env="CXM_SESSION_HOURS")
    session_max_hours: float = Field(default=12.0, env="CXM_SESSION_MAX_HOURS")
    business_hours: str = Field(default="08:00-21:00", env="CXM_BUSINESS_HOURS")
    timezone: str = Field(default=DEFAULT_SHOP_TIMEZONE, env="CXM_TIMEZONE")
    secure_cookies: bool = Field(default=True, env="CXM_SECURE_COOKIES")
    live_redis_url: str = Field(default="", env="CXM_LIVE_REDIS_URL")

    _secure_cookies = flag_setting("secure_cookies", "CXM_SECURE_COOKIES", True)


def load() -> StoreSettings:
    """Return the settings for this process."""
    return StoreSettings()
