"""Engine and session factory for the store (SQLAlchemy 1.4 in 2.0 style)."""
from datetime import datetime, timezone
from functools import lru_cache

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeMeta, registry, sessionmaker

from cxm_store import settings

mapper_registry = registry()
Base: DeclarativeMeta = mapper_registry.generate_base()


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets the web app read while the action server writes.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


@lru_cache(maxsize=None)
def engine_for(url: str) -> Engine:
    """Return one shared engine per database URL."""
    engine = create_engine(url, future=True, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def default_engine() -> Engine:
    """Return the engine for the configured database."""
    return engine_for(settings.load().database_url)


def session_factory(engine: Engine = None) -> sessionmaker:
    """Return a session factory bound to ``engine`` (default: configured one)."""
    return sessionmaker(bind=engine or default_engine(), future=True, expire_on_commit=False)


def utc_naive(moment: datetime) -> datetime:
    """Return ``moment`` as a naive UTC datetime, the form every column stores.

    Aware datetimes are converted; naive ones are taken to be UTC already.
    """
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment
