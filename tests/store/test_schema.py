"""Migrations: they build what the models declare, on both engines, and go back down."""
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from cxm_store import schema
from cxm_store.db import Base


def test_migrations_match_the_models(engine):
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


def test_indexes_for_the_metric_queries(engine):
    indexes = {ix["name"] for table in ("conversations", "survey_answers", "conversation_topics")
               for ix in inspect(engine).get_indexes(table)}
    assert {
        "ix_conversations_started_at",
        "ix_conversations_customer_started",
        "ix_conversation_topics_topic",
        "ix_survey_answers_customer_kind_asked",
    } <= indexes


def test_downgrade_and_upgrade_again(store_url, engine):
    command.downgrade(schema.alembic_config(store_url), "0001")
    assert "conversations" not in inspect(engine).get_table_names()
    assert "orders" in inspect(engine).get_table_names()
    schema.upgrade(store_url)
    assert "handoffs" in inspect(engine).get_table_names()
