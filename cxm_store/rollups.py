"""Daily rollups of the conversation metrics, kept by the database in the write's transaction.

``daily_rollups`` holds, per shop-local day of conversation start, channel,
language, agent and topic, the sums that the counter-based metrics divide
(conversations, closed ones, contained, FCR votes, survey tallies, message
counts, the journey funnel's stages, conversations with a scored and with a
negative customer message...: :data:`MEASURES`). Rows with ``topic = ''`` count every
conversation once; rows with a topic count the conversations that touched it
(a conversation counts under each of its topics, like the metrics' topic
filter). ``''`` stands for "no language" / "no agent" in the key.

Triggers on ``conversations`` and ``conversation_topics`` take a row's old
contribution out and put its new one in, so every write path (bot capture,
console, surveys, synthetic history, erasure) keeps the rollup current in the
same transaction as the fact. Days are those of ``rollup_settings.zone``; on
SQLite (no zone database) the trigger adds the zone's fixed UTC offset, so a
zone with summer time is refused there. ``python -m cxm_store rollups
--rebuild`` recomputes everything from the conversations (and re-creates the
triggers for the configured zone).
"""
from typing import Dict, List

from sqlalchemy import (
    Column,
    Date,
    Integer,
    String,
    Table,
    and_,
    case,
    column,
    func,
    literal,
    or_,
    select,
    table,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql import ColumnElement

from contract.vocabulary import ABANDONED, ESCALATED, RESOLVED
from cxm_store import duration_rollups, follow_up_rollups, service_level_rollups, settings
from cxm_store.db import Base
from cxm_store.models import SURVEY_COUNTERS
from cxm_store.sqlfuncs import create_row_trigger, drop_row_trigger, literal_sql, local_day_sql

KEYS = ("day", "channel", "language", "agent", "topic")
ALL_TOPICS = ""  # the topic of the rows that count every conversation once
_SUMMED = (
    "csat_count", "csat_sum", "csat_high", "ces_count", "ces_sum", "ces_easy",
    "nps_count", "nps_promoters", "nps_detractors", "fallback_count", "customer_message_count",
)
# The journey funnel's stages after "started" (cx_reports.journey.funnel), each counting the
# conversations of the stage before that also got this far; and the sentiment counts.
FUNNEL_MEASURES = (
    "funnel_answered_by_bot", "funnel_handed_off", "funnel_resolved", "funnel_surveyed",
    "funnel_promoter",
)
SENTIMENT_MEASURES = ("sentiment_scored", "sentiment_negative")
MEASURES = (
    "conversations", "closed", "contained", "escalated", "abandoned",
    "fcr_answered", "fcr_first_contact", "surveyed", "responded",
) + _SUMMED + FUNNEL_MEASURES + SENTIMENT_MEASURES

# On the models' metadata, so the migrations are checked against these tables too.
metadata = Base.metadata
daily_rollups = Table(
    "daily_rollups",
    metadata,
    Column("day", Date, primary_key=True),
    Column("channel", String(20), primary_key=True),
    Column("language", String(8), primary_key=True),
    Column("agent", String(80), primary_key=True),
    Column("topic", String(80), primary_key=True),
    *(Column(name, Integer, nullable=False, server_default="0") for name in MEASURES),
)
rollup_settings = Table(
    "rollup_settings", metadata, Column("zone", String(64), primary_key=True)
)

_CONVERSATION_COLUMNS = (
    "id", "channel", "language", "agent", "started_at", "ended_at", "outcome",
    "has_handoff", "repeat_within_7d", *SURVEY_COUNTERS, "fallback_count",
    "customer_message_count", "bot_message_count", "sentiment_count", "negative_messages",
)


def conversation_table(name: str = "conversations"):
    """``conversations`` (or a trigger's NEW/OLD row) with the columns the measures read."""
    return table(name, *(column(c) for c in _CONVERSATION_COLUMNS))


def measure_values(c) -> Dict[str, ColumnElement]:
    """Each measure's contribution of ONE conversation row ``c`` (0 or 1, or a counter).

    The metrics (cx_reports.metric_sql.AGGREGATES) are ratios of these sums;
    rollup_figures computes them back the same way.
    """
    def flag(condition) -> ColumnElement:
        return case((condition, 1), else_=0)

    ended = c.c.ended_at.isnot(None)
    values = {
        "conversations": literal(1),
        "closed": flag(ended),
        "contained": flag(and_(ended, c.c.outcome == RESOLVED, c.c.has_handoff == False)),  # noqa: E712
        "escalated": flag(c.c.outcome == ESCALATED),
        "abandoned": flag(c.c.outcome == ABANDONED),
        "fcr_answered": flag(c.c.resolved_answered > 0),
        "fcr_first_contact": flag(
            and_(c.c.resolved_yes > 0, c.c.repeat_within_7d == False)  # noqa: E712
        ),
        "surveyed": flag(c.c.survey_asked > 0),
        "responded": flag(c.c.survey_answered > 0),
    }
    values.update({name: c.c[name] for name in _SUMMED})
    # Nested stages: each also requires every stage before it.
    reached = [c.c.bot_message_count > 0]
    for condition in (or_(c.c.has_handoff == True, c.c.outcome == RESOLVED),  # noqa: E712
                      c.c.outcome == RESOLVED, c.c.survey_answered > 0, c.c.nps_promoters > 0):
        reached.append(and_(reached[-1], condition))
    values.update({name: flag(stage) for name, stage in zip(FUNNEL_MEASURES, reached, strict=True)})
    # A conversation with a scored customer message, and one with a negative message.
    values["sentiment_scored"] = flag(c.c.sentiment_count > 0)
    values["sentiment_negative"] = flag(c.c.negative_messages > 0)
    return values


TABLES = (daily_rollups, rollup_settings, duration_rollups.handoff_durations,
          duration_rollups.duration_buckets, follow_up_rollups.follow_up_days,
          service_level_rollups.service_level_days, service_level_rollups.service_level_settings)


def create_tables(connection: Connection) -> None:
    metadata.create_all(connection, tables=TABLES)


def drop(connection: Connection) -> None:
    drop_triggers(connection)
    duration_rollups.drop_triggers(connection)
    follow_up_rollups.drop_triggers(connection)
    service_level_rollups.drop_triggers(connection)
    metadata.drop_all(connection, tables=TABLES)


def _upsert(connection: Connection, row: str, sign: str, topic: str, source: str, zone: str) -> str:
    """The statement adding (``sign`` '+') or taking out ('-') the contribution of the
    conversation ``row`` (NEW, OLD or an alias in ``source``) to its rollup row for ``topic``
    (SQL: ``''`` for the all-topics row).
    """
    c = conversation_table(row)
    values = [literal_sql(value, connection) for value in measure_values(c).values()]
    if sign == "-":
        values = [f"-({value})" for value in values]
    keys = [
        local_day_sql(f"{row}.started_at", zone, connection.dialect.name),
        f"{row}.channel",
        f"COALESCE({row}.language, '')",
        f"COALESCE({row}.agent, '')",
        topic,
    ]
    updates = ", ".join(f"{m} = daily_rollups.{m} + excluded.{m}" for m in MEASURES)
    # SQLite needs a WHERE before ON CONFLICT in INSERT ... SELECT (parsing ambiguity).
    return (
        f"INSERT INTO daily_rollups ({', '.join(KEYS + MEASURES)}) "
        f"SELECT {', '.join(keys + values)} {source} "
        f"ON CONFLICT ({', '.join(KEYS)}) DO UPDATE SET {updates}"
    )


def _step(connection: Connection, row: str, sign: str, what: str, zone: str) -> str:
    if what == "conversation":  # the conversation's all-topics row
        return _upsert(connection, row, sign, "''", "WHERE 1 = 1", zone)
    if what == "its topics":  # the conversation's rows per touched topic
        source = f"FROM conversation_topics t WHERE t.conversation_id = {row}.id"
        return _upsert(connection, row, sign, "t.topic", source, zone)
    # A conversation_topics row added or removed: its conversation under that
    # topic (nothing when the conversation is already gone).
    source = f"FROM conversations c WHERE c.id = {row}.conversation_id"
    return _upsert(connection, "c", sign, f"{row}.topic", source, zone)


_TRIGGERS = {
    # name: (table, timing, [(row, sign, which rollup rows)])
    "rollup_conversation_insert": (
        "conversations", "AFTER INSERT", [("new", "+", "conversation"), ("new", "+", "its topics")]
    ),
    "rollup_conversation_update": (
        "conversations", "AFTER UPDATE",
        [("old", "-", "conversation"), ("old", "-", "its topics"),
         ("new", "+", "conversation"), ("new", "+", "its topics")],
    ),
    # Before the row goes, while its topics are still there (the cascade then
    # finds no conversation and takes nothing out twice).
    "rollup_conversation_delete": (
        "conversations", "BEFORE DELETE", [("old", "-", "conversation"), ("old", "-", "its topics")]
    ),
    "rollup_topic_insert": ("conversation_topics", "AFTER INSERT", [("new", "+", "topic row")]),
    "rollup_topic_delete": ("conversation_topics", "AFTER DELETE", [("old", "-", "topic row")]),
}


def _statements(connection: Connection, steps, zone: str) -> List[str]:
    return [_step(connection, row, sign, what, zone) for row, sign, what in steps]


def install_triggers(connection: Connection, zone: str) -> None:
    """(Re-)create the triggers that keep ``daily_rollups`` for local days of ``zone``."""
    drop_triggers(connection)
    for name, (on, timing, steps) in _TRIGGERS.items():
        create_row_trigger(connection, name, on, timing, _statements(connection, steps, zone))


def drop_triggers(connection: Connection) -> None:
    """Drop the triggers that keep ``daily_rollups`` (the table stays)."""
    for name, (on, _, _) in _TRIGGERS.items():
        drop_row_trigger(connection, name, on)


def rebuild(connection: Connection, zone: str) -> int:
    """Recompute ``daily_rollups``, the handoff-duration histograms
    (:mod:`cxm_store.duration_rollups`) and the follow-ups' days
    (:mod:`cxm_store.follow_up_rollups`) for ``zone``'s days, and re-create the
    triggers for that zone. Returns the number of daily rollup rows.
    """
    dialect = connection.dialect.name
    connection.execute(daily_rollups.delete())
    connection.execute(rollup_settings.delete())
    connection.execute(rollup_settings.insert().values(zone=zone))
    c = conversation_table()
    sums = ", ".join(
        f"SUM({literal_sql(value, connection)})" for value in measure_values(c).values()
    )
    day = local_day_sql("conversations.started_at", zone, dialect)
    keys = f"{day}, channel, COALESCE(language, ''), COALESCE(agent, '')"
    names = ", ".join(KEYS + MEASURES)
    connection.exec_driver_sql(
        f"INSERT INTO daily_rollups ({names}) SELECT {keys}, '', {sums} "
        f"FROM conversations GROUP BY {keys}"
    )
    connection.exec_driver_sql(
        f"INSERT INTO daily_rollups ({names}) SELECT {keys}, t.topic, {sums} "
        f"FROM conversations JOIN conversation_topics t ON t.conversation_id = conversations.id "
        f"GROUP BY {keys}, t.topic"
    )
    install_triggers(connection, zone)
    duration_rollups.rebuild(connection, zone)
    follow_up_rollups.rebuild(connection, zone)  # after the duration buckets it reads
    service_level_rollups.rebuild(connection, zone)
    return connection.execute(select(func.count()).select_from(daily_rollups)).scalar()


def reclaim_after_rebuild(engine: Engine) -> None:
    """On PostgreSQL, vacuum and analyze the rollup tables after :func:`rebuild` committed.

    A rebuild deletes and re-inserts every row: on the 1M-conversation bench it left 1.5
    million dead rows in ``daily_rollups`` and 4.1 million in ``handoff_durations``, and
    the dashboard's summary took 398 ms cold instead of 17 until they were vacuumed.
    ``VACUUM`` cannot run inside the rebuild's transaction, so it runs here, after it;
    SQLite reuses the freed pages by itself.
    """
    if engine.dialect.name != "postgresql":
        return
    tables = (daily_rollups, duration_rollups.handoff_durations, follow_up_rollups.follow_up_days,
              service_level_rollups.service_level_days)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in tables:
            connection.exec_driver_sql(f"VACUUM ANALYZE {table.name}")


def upgrade(connection: Connection) -> int:
    """A migration's step: create the missing rollup tables and rebuild every rollup for
    the zone it already holds (the configured shop zone in a new store).
    """
    create_tables(connection)
    return rebuild(connection, rollup_zone(connection) or settings.shop_timezone())


def rollup_zone(connection: Connection):
    """The zone whose days the rollup holds (None: no rollup in this store)."""
    return connection.execute(select(rollup_settings.c.zone)).scalar()
