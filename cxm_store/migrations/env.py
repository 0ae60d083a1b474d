"""Alembic environment: runs migrations online against the configured URL."""
from alembic import context
from sqlalchemy import create_engine

from cxm_store import models  # noqa: F401  (registers the tables on Base.metadata)
from cxm_store import rollups  # noqa: F401  (and the daily rollups')
from cxm_store.db import Base


def run_migrations_online() -> None:
    """Run the pending migrations in one transaction per migration."""
    url = context.config.get_main_option("sqlalchemy.url")
    engine = create_engine(url, future=True)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
