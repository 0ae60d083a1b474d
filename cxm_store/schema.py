"""Bringing a database to the current schema with Alembic migrations."""
from pathlib import Path

from alembic import command
from alembic.config import Config

from cxm_store import settings

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(database_url: str) -> Config:
    """Return an Alembic configuration for ``database_url`` (no ini file needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str = None) -> None:
    """Apply every migration not yet applied to ``database_url`` (default: configured)."""
    command.upgrade(alembic_config(database_url or settings.load().database_url), "head")
