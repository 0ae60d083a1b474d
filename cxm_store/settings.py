"""Settings of the cxm_store process, read once from the environment.

Every process's settings are one :class:`EnvSettings` object (pydantic's
``BaseSettings``): typed, validated when the process starts, each field
naming its environment variable. An empty variable counts as unset, and an
on/off setting is read by :func:`parse_flag`, the same in every process.
"""
import os
from functools import lru_cache
from typing import Any, Dict, Tuple, Type, TypeVar

from pydantic import BaseSettings, Field, root_validator, validator


def _default_database_url() -> str:
    os.makedirs("var", exist_ok=True)
    return "sqlite:///var/cxm.db"


DEFAULT_SHOP_TIMEZONE = "Asia/Jakarta"
# Named in error messages and by tests, hence constants.
DATA_KEYS_VARIABLE = "CXM_DATA_KEYS"
# Where capture keeps what the store could not take yet (the privacy purge reads it too).
DEFAULT_CAPTURE_SPOOL_DIR = "var/capture-spool"
RATE_LIMIT_REDIS_VARIABLE = "RATE_LIMIT_REDIS_URL"


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


Settings = TypeVar("Settings", bound="EnvSettings")


class EnvSettings(BaseSettings):
    """Settings read from the environment when created; immutable afterwards."""

    class Config:
        frozen = True
        case_sensitive = True

    @root_validator(pre=True)
    def _empty_is_unset(cls, values: Dict[str, Any]) -> Dict[str, Any]:
        # ``FOO=`` in a shell or a compose file means "not set", not "empty".
        return {name: value for name, value in values.items() if value != ""}

    @classmethod
    def current(cls: Type[Settings]) -> Settings:
        """This process's settings of this kind.

        Built once and shared; built again only when one of its variables
        has changed since, which in practice only tests do.
        """
        return _built(cls, tuple(os.environ.get(name) for name in _variables(cls)))


def _variables(kind: Type[EnvSettings]) -> Tuple[str, ...]:
    return tuple(
        name for field in kind.__fields__.values() for name in field.field_info.extra.get("env_names", ())
    )


@lru_cache(maxsize=64)
def _built(kind: Type[Settings], _values: Tuple[Any, ...]) -> Settings:
    return kind()


def flag_setting(field: str, variable: str, default: bool) -> Any:
    """A validator reading ``field`` with :func:`parse_flag`, naming ``variable`` when refused."""
    return validator(field, pre=True, allow_reuse=True)(lambda value: parse_flag(value, default, variable))


class StoreSettings(EnvSettings):
    """Where the store keeps its data, and the shop's rules every process shares.

    Attributes:
        database_url: SQLAlchemy URL; SQLite file by default, PostgreSQL in
            production (``postgresql://user@host:5432/cxm``).
        business_hours: When agents work, ``HH:MM-HH:MM`` local time
            (``CXM_BUSINESS_HOURS``, default ``08:00-21:00``).
        timezone: IANA zone of the business hours, of times shown to agents and
            of the days and weeks of every report (``CXM_TIMEZONE``, default
            ``Asia/Jakarta``).
        data_keys: Keys that encrypt personal data at rest, ``<id>:<base64>``
            items, the first one encrypting (``CXM_DATA_KEYS``; empty: none).
        image_dir: Where customers' pictures are kept (``CXM_IMAGE_DIR``).
        sentiment_model: The trained sentiment model's directory
            (``CXM_SENTIMENT_MODEL``; empty: ``var/sentiment/model``).
        rate_limit_redis_url: Redis shared by every process's rate limits
            (``RATE_LIMIT_REDIS_URL``; empty: each process counts alone).
        follow_up_sla_hours, sla_handoff_wait_minutes, sla_first_response_minutes,
        sla_resolution_hours, follow_up_sentiment: the service-level targets
            (``cxm_store.service_levels``).
    """

    database_url: str = Field(default_factory=_default_database_url, env="CXM_DATABASE_URL")
    business_hours: str = Field(default="08:00-21:00", env="CXM_BUSINESS_HOURS")
    timezone: str = Field(default=DEFAULT_SHOP_TIMEZONE, env="CXM_TIMEZONE")
    data_keys: str = Field(default="", env=DATA_KEYS_VARIABLE, repr=False)
    image_dir: str = Field(default="var/images", env="CXM_IMAGE_DIR")
    sentiment_model: str = Field(default="", env="CXM_SENTIMENT_MODEL")
    rate_limit_redis_url: str = Field(default="", env=RATE_LIMIT_REDIS_VARIABLE)
    follow_up_sla_hours: float = Field(default=8.0, env="CXM_FOLLOW_UP_SLA_HOURS")
    sla_handoff_wait_minutes: float = Field(default=5.0, env="CXM_SLA_HANDOFF_WAIT_MINUTES")
    sla_first_response_minutes: float = Field(default=10.0, env="CXM_SLA_FIRST_RESPONSE_MINUTES")
    sla_resolution_hours: float = Field(default=4.0, env="CXM_SLA_RESOLUTION_HOURS")
    follow_up_sentiment: float = Field(default=-0.8, env="CXM_FOLLOW_UP_SENTIMENT")


def load() -> StoreSettings:
    """Return the settings for this process."""
    return StoreSettings.current()


def shop_timezone() -> str:
    """The shop's IANA time zone (``CXM_TIMEZONE``, default ``Asia/Jakarta``)."""
    return load().timezone
