"""Settings of the cxm_store process, read once from the environment."""
import os
from dataclasses import dataclass, field


def _default_database_url() -> str:
    os.makedirs("var", exist_ok=True)
    return "sqlite:///var/cxm.db"


@dataclass(frozen=True)
class StoreSettings:
    """Where the store keeps its data.

    Attributes:
        database_url: SQLAlchemy URL; SQLite file by default, PostgreSQL in
            production (``postgresql://user@host:5432/cxm``).
    """

    database_url: str = field(
        default_factory=lambda: os.environ.get("CXM_DATABASE_URL") or _default_database_url()
    )


def load() -> StoreSettings:
    """Return the settings for this process."""
    return StoreSettings()
