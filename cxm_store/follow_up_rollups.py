"""Daily rollup of the closed loop's follow-ups, so the dashboard's follow-up figures stay fast.

``follow_up_days`` counts, per topic (``''``: every follow-up once, as in
``daily_rollups``), shop-local day of **opening**, channel, language and agent
of the follow-up's conversation, and close-time bucket (:data:`STILL_OPEN` for
an open follow-up, else the bucket of ``closed_at - opened_at`` among
:data:`cxm_store.duration_rollups.BOUNDS`):

* ``follow_ups``: how many; the closed ones are those of a bucket >= 0, and
  their median time to close is read from the buckets (within 1 s + 5 %,
  like the handoff percentiles);
* ``closed_in_time``: closed at or before their due time;
* ``score_changes`` / ``score_change_sum``: follow-ups opened on a CSAT or NPS
  score whose customer answered that kind again later in another conversation
  (:func:`next_score`), and the sum of (next score - opening score).

What is still open and past due depends on the moment asked, so it is not
here (the dashboard counts it from ``ix_follow_ups_open_due``).

Triggers keep the table in the write's transaction: on ``follow_ups``, on
``conversations`` (channel, language or agent changed, or the row deleted),
on ``conversation_topics``, and on ``survey_answers`` (a later answer changes
a follow-up's next score: the customer's follow-ups are taken out before the
answer's change and put back after it). :mod:`cxm_store.rollups` creates,
rebuilds and drops it with the other rollups.
"""
from types import SimpleNamespace
from typing import Dict, List, Sequence

from sqlalchemy import Column, Date, Integer, String, Table, and_, case, column
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement, literal_column, select, table

from contract.vocabulary import CSAT, NPS
from cxm_store.db import Base
from cxm_store.duration_rollups import bucket_of
from cxm_store.sqlfuncs import (
    create_row_triggers,
    drop_row_triggers,
    literal_sql,
    local_day_sql,
    seconds_between,
)

STILL_OPEN = -1  # the bucket of a follow-up not closed yet
KEYS = ("topic", "day", "channel", "language", "agent", "bucket")
MEASURES = ("follow_ups", "closed_in_time", "score_changes", "score_change_sum")

def day_rollup_table(name: str, keys: Sequence[Column], measures: Sequence[str]) -> Table:
    """A rollup table keyed by topic, local day and the dashboard's filters (channel,
    language, agent; ``''`` for none), then ``keys``, with integer ``measures``.
    """
    return Table(
        name,
        Base.metadata,
        # Key order: a query reads one topic ('' or a named one) and a range of days.
        Column("topic", String(80), primary_key=True),
        Column("day", Date, primary_key=True),
        Column("channel", String(20), primary_key=True),
        Column("language", String(8), primary_key=True),
        Column("agent", String(80), primary_key=True),
        *keys,
        *(Column(measure, Integer, nullable=False, server_default="0") for measure in measures),
        sqlite_with_rowid=False,  # the rows live in the key's order: a range is one read
    )


follow_up_days = day_rollup_table(
    "follow_up_days", [Column("bucket", Integer, primary_key=True, autoincrement=False)], MEASURES)

_FOLLOW_UP_COLUMNS = ("conversation_id", "customer_id", "reason", "score", "opened_at",
                      "due_at", "closed_at")


def follow_up_row(name: str):
    """The follow-up row ``name`` (a trigger's NEW/OLD or an alias) with the columns the
    rollup reads, as plain SQL names: the subqueries of :func:`row_values` then refer to
    it, not select from a table of that name.
    """
    columns = {c: literal_column(f"{name}.{c}") for c in _FOLLOW_UP_COLUMNS}
    return SimpleNamespace(c=SimpleNamespace(**columns))


def next_score(f) -> ColumnElement:
    """SQL: the customer's next answered score of the follow-up ``f``'s kind, asked after it
    opened, in another conversation (NULL: none yet, or not opened on a CSAT or NPS score).
    Served by ix_survey_answers_customer_kind_asked.
    """
    s = table("survey_answers", *(column(c) for c in (
        "id", "customer_id", "conversation_id", "kind", "status", "score", "asked_at")))
    later = (
        select(s.c.score)
        .where(s.c.customer_id == f.c.customer_id, s.c.kind == f.c.reason,
               s.c.status == "answered", s.c.score.isnot(None),
               s.c.asked_at > f.c.opened_at, s.c.conversation_id != f.c.conversation_id)
        .order_by(s.c.asked_at, s.c.id).limit(1).scalar_subquery()
    )
    return case((f.c.reason.in_((CSAT, NPS)), later))


def row_values(f) -> Dict[str, ColumnElement]:
    """One follow-up ``f``'s close-time bucket, whether it closed in time (0 or 1) and its
    score change (NULL: none), as SQL; the measures count and sum them.
    """
    closed = f.c.closed_at.isnot(None)
    return {
        "bucket": case((closed, bucket_of(seconds_between(f.c.closed_at, f.c.opened_at))),
                       else_=STILL_OPEN),
        "in_time": case((and_(closed, f.c.closed_at <= f.c.due_at), 1), else_=0),
        "change": next_score(f) - f.c.score,
    }


# Each measure over the rows ``r`` of one key (r.in_time, r.change: :func:`row_values`).
_SUMS = ("COUNT(*)", "SUM(r.in_time)", "COUNT(r.change)", "COALESCE(SUM(r.change), 0)")


def _upsert(connection: Connection, sign: str, f: str, c: str, topic: str, source: str,
            zone: str) -> str:
    """The statement adding (``sign`` '') or taking out ('-') the follow-ups ``f`` of the
    conversations ``c`` under ``topic`` (SQL), read from ``source`` (FROM and WHERE).
    """
    values = {name: literal_sql(value, connection)
              for name, value in row_values(follow_up_row(f)).items()}
    keys = {
        "topic": topic,
        "day": local_day_sql(f"{f}.opened_at", zone, connection.dialect.name),
        "channel": f"{c}.channel",
        "language": f"COALESCE({c}.language, '')",
        "agent": f"COALESCE({c}.agent, '')",
        "bucket": values.pop("bucket"),
    }
    rows = ", ".join(f"{value} AS {name}" for name, value in {**keys, **values}.items())
    names = ", ".join(KEYS)
    updates = ", ".join(f"{m} = follow_up_days.{m} + excluded.{m}" for m in MEASURES)
    # Grouped: one statement may hold several follow-ups of one key, and an upsert may
    # touch each row once. SQLite needs the WHERE before ON CONFLICT.
    return (
        f"INSERT INTO follow_up_days ({names}, {', '.join(MEASURES)}) "
        f"SELECT {names}, {', '.join(sign + total for total in _SUMS)} "
        f"FROM (SELECT {rows} {source}) r WHERE 1 = 1 GROUP BY {names} "
        f"ON CONFLICT ({names}) DO UPDATE SET {updates}"
    )


def _statements(connection: Connection, sign: str, changed: str, row: str,
                zone: str) -> List[str]:
    """The statements moving the contribution of the follow-ups that the ``changed`` row
    ``row`` (NEW or OLD; "both" for a survey answer's update) touches, under their
    conversation's keys and each of its topics.
    """
    if changed == "topic row":  # none once the conversation is gone: its trigger took them out
        return [_upsert(connection, sign, "f", "c", f"{row}.topic",
                        f"FROM follow_ups f JOIN conversations c ON c.id = f.conversation_id "
                        f"WHERE f.conversation_id = {row}.conversation_id", zone)]
    f, c = "f", "c"
    if changed == "follow-up":  # the row itself, under its conversation's keys
        f, source, topics = row, "FROM conversations c", "c.id"
        where = f"c.id = {row}.conversation_id"
    elif changed == "conversation":  # its follow-ups, under the row's keys
        c, source, topics = row, "FROM follow_ups f", f"{row}.id"
        where = f"f.conversation_id = {row}.id"
    else:  # a survey answer: every follow-up of its customer (of both, when it moved)
        source, topics = "FROM follow_ups f JOIN conversations c ON c.id = f.conversation_id", "c.id"
        customers = "old.customer_id, new.customer_id" if row == "both" else f"{row}.customer_id"
        where = f"f.customer_id IN ({customers})"
    per_topic = f"JOIN conversation_topics t ON t.conversation_id = {topics}"
    return [_upsert(connection, sign, f, c, "''", f"{source} WHERE {where}", zone),
            _upsert(connection, sign, f, c, "t.topic", f"{source} {per_topic} WHERE {where}",
                    zone)]


_ANSWER_COLUMNS = ("customer_id", "conversation_id", "kind", "status", "score", "asked_at")
_TRIGGERS = {
    # name: (table, timing, columns whose change fires it (None: every row), steps)
    "follow_up_days_insert": ("follow_ups", "AFTER INSERT", None, [("", "follow-up", "new")]),
    "follow_up_days_update": ("follow_ups", "AFTER UPDATE", _FOLLOW_UP_COLUMNS,
                              [("-", "follow-up", "old"), ("", "follow-up", "new")]),
    "follow_up_days_delete": ("follow_ups", "AFTER DELETE", None, [("-", "follow-up", "old")]),
    "follow_up_days_conversation_update": (
        "conversations", "AFTER UPDATE", ("channel", "language", "agent"),
        [("-", "conversation", "old"), ("", "conversation", "new")]),
    # Before the row goes, while its follow-ups and topics are still there.
    "follow_up_days_conversation_delete": ("conversations", "BEFORE DELETE", None,
                                           [("-", "conversation", "old")]),
    "follow_up_days_topic_insert": ("conversation_topics", "AFTER INSERT", None,
                                    [("", "topic row", "new")]),
    "follow_up_days_topic_delete": ("conversation_topics", "AFTER DELETE", None,
                                    [("-", "topic row", "old")]),
    # A survey answer: the customer's follow-ups out before it changes, back in after.
    "follow_up_days_answer_before_insert": ("survey_answers", "BEFORE INSERT", None,
                                            [("-", "answer", "new")]),
    "follow_up_days_answer_insert": ("survey_answers", "AFTER INSERT", None,
                                     [("", "answer", "new")]),
    "follow_up_days_answer_before_update": ("survey_answers", "BEFORE UPDATE", _ANSWER_COLUMNS,
                                            [("-", "answer", "both")]),
    "follow_up_days_answer_update": ("survey_answers", "AFTER UPDATE", _ANSWER_COLUMNS,
                                     [("", "answer", "both")]),
    "follow_up_days_answer_before_delete": ("survey_answers", "BEFORE DELETE", None,
                                            [("-", "answer", "old")]),
    "follow_up_days_answer_delete": ("survey_answers", "AFTER DELETE", None,
                                     [("", "answer", "old")]),
}


def install_triggers(connection: Connection, zone: str) -> None:
    """(Re-)create the triggers that keep ``follow_up_days`` for local days of ``zone``."""
    create_row_triggers(connection, _TRIGGERS, lambda sign, what, row: _statements(
        connection, sign, what, row, zone))


def drop_triggers(connection: Connection) -> None:
    """Drop the triggers that keep ``follow_up_days`` (the table stays)."""
    drop_row_triggers(connection, _TRIGGERS)


def drop(connection: Connection) -> None:
    """Drop ``follow_up_days`` and its triggers."""
    drop_triggers(connection)
    follow_up_days.drop(connection)


def rebuild(connection: Connection, zone: str) -> None:
    """Recount ``follow_up_days`` from the follow-ups for ``zone``'s days (the duration
    buckets must be filled), and re-create its triggers for that zone.
    """
    connection.execute(follow_up_days.delete())
    every = "FROM follow_ups f JOIN conversations c ON c.id = f.conversation_id"
    connection.exec_driver_sql(_upsert(connection, "", "f", "c", "''", every, zone))
    connection.exec_driver_sql(_upsert(
        connection, "", "f", "c", "t.topic",
        f"{every} JOIN conversation_topics t ON t.conversation_id = c.id", zone))
    if connection.dialect.name == "postgresql":  # the planner's statistics of the new rows
        connection.exec_driver_sql("ANALYZE follow_up_days")
    install_triggers(connection, zone)

