"""Capture fixtures: a migrated store on SQLite or PostgreSQL, and Rasa-shaped events.

PostgreSQL databases come from ``new_pg_database`` (tests/conftest.py).
"""
import pytest

from cxm_store import schema


@pytest.fixture(params=("sqlite", "postgresql"))
def store_url(request, tmp_path) -> str:
    """URL of an empty, migrated store database (one per test)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
        schema.upgrade(url)
        return url
    return request.getfixturevalue("new_pg_database")()
