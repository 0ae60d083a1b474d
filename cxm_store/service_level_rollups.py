"""Daily rollup of the service-level breaches of settled handoffs, so the dashboard's breach
counts stay fast whatever the range.

A handoff is measured by three clocks from the customer's request, in business
time (``cxm_store.business_time``): ``handoff_wait`` (until an agent took it),
``first_response`` (until the agent's first reply) and ``resolution`` (until it
was resolved); a clock over its target (``ServiceLevels``) is a breach. Tickets
(left out of hours) and abandoned queue places count for the wait only, which
ends when the customer left (the conversation's last activity). A clock that
has not stopped runs until now: a handoff is **settled** when every clock it
counts has stopped, and only settled handoffs are in the rollup; the others
(:data:`cxm_store.models.HANDOFF_RUNNING`, found through ``ix_handoffs_running``) are measured when asked.

``service_level_days`` counts settled handoffs and their breaches per clock,
per topic (``''``: every handoff once; else each topic its conversation
touched, for the topic filter), shop-local day of the conversation's start,
its channel, language and agent (the dashboard's filters), and the handoff's
agent (``unassigned`` before anyone took it) and its conversation's primary
topic (``none``), which the breaches are shown by. The breaches depend on the
targets and business hours: ``service_level_settings`` names those the rollup
was counted for (:func:`levels_key`), and a rebuild recounts for the
configured ones. Triggers on ``handoffs``, ``conversations`` and
``conversation_topics`` keep it in the write's transaction, like
:mod:`cxm_store.rollups`, which creates, rebuilds and drops it with the others.
"""
from types import SimpleNamespace
from typing import Dict, List

from sqlalchemy import Column, String, Table, and_, case, func, literal, or_
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement, literal_column, null, select

from cxm_store.business_time import business_clock
from cxm_store.db import Base
from cxm_store.follow_up_rollups import day_rollup_table
from cxm_store.service_levels import ServiceLevels
from cxm_store.sqlfuncs import (
    create_row_triggers,
    drop_row_triggers,
    literal_sql,
    local_day_sql,
    local_seconds,
)

CLOCKS = ("handoff_wait", "first_response", "resolution")
UNASSIGNED = "unassigned"
NO_TOPIC = "none"
UNSERVED = ("ticket", "abandoned")
# Clocks are read to the millisecond: a clock that ran exactly its target is no breach.
TOLERANCE_S = 0.001
KEYS = ("topic", "day", "channel", "language", "agent", "handled_by", "primary_topic")
MEASURES = ("handoffs",) + CLOCKS

service_level_days = day_rollup_table(
    "service_level_days", [Column("handled_by", String(80), primary_key=True),
                           Column("primary_topic", String(80), primary_key=True)], MEASURES)
service_level_settings = Table(
    "service_level_settings", Base.metadata, Column("levels", String(200), primary_key=True)
)


def levels_key(levels: ServiceLevels) -> str:
    """What the breach counts depend on: targets (seconds), business hours and zone."""
    return "|".join(str(value) for value in (*targets(levels).values(), levels.business_hours,
                                             levels.timezone))


def targets(levels: ServiceLevels) -> Dict[str, float]:
    """Each clock's target in seconds."""
    return {"handoff_wait": levels.handoff_wait.total_seconds(),
            "first_response": levels.first_response.total_seconds(),
            "resolution": levels.resolution.total_seconds()}


def clock_ends(h, c, now) -> Dict[str, ColumnElement]:
    """SQL: where each clock of the handoff ``h`` of conversation ``c`` stops (``now`` for a
    running one; NULL: the clock does not count).
    """
    unserved = h.c.status.in_(UNSERVED)
    return {
        "handoff_wait": case((unserved, func.coalesce(h.c.claimed_at, c.c.last_activity_at)),
                             else_=func.coalesce(h.c.claimed_at, now)),
        "first_response": case((unserved, None), else_=func.coalesce(h.c.first_agent_reply_at, now)),
        "resolution": case((unserved, None), else_=func.coalesce(h.c.resolved_at, now)),
    }


def breached(request: ColumnElement, end: ColumnElement, target: float,
             hours: str) -> ColumnElement:
    """SQL: 1 when the business time between the local wall clocks ``request`` and ``end``
    (seconds: :class:`cxm_store.sqlfuncs.local_seconds`) is over ``target``, else 0.
    """
    limit = target + TOLERANCE_S
    # Business time never exceeds the wall clock: most clocks need no counting.
    return case((end - request <= limit, literal(0)),
                (business_clock(end, hours) - business_clock(request, hours) > limit, 1),
                else_=literal(0))


def _row(name: str, columns) -> SimpleNamespace:
    """A trigger's NEW/OLD row or an alias, its columns as plain SQL names."""
    return SimpleNamespace(c=SimpleNamespace(**{c: literal_column(f"{name}.{c}") for c in columns}))


_HANDOFF_COLUMNS = ("conversation_id", "agent", "status", "requested_at", "claimed_at",
                    "first_agent_reply_at", "resolved_at")
_CONVERSATION_COLUMNS = ("id", "started_at", "channel", "language", "agent", "primary_topic",
                         "last_activity_at")


def _upsert(connection: Connection, sign: str, h: str, c: str, topic: str, source: str,
            zone: str, levels: ServiceLevels) -> str:
    """The statement adding (``sign`` '') or taking out ('-') the settled handoffs ``h`` of
    the conversations ``c`` under ``topic`` (SQL), read from ``source`` (FROM and WHERE),
    on ``zone``'s days.
    """
    hr, cr = _row(h, _HANDOFF_COLUMNS), _row(c, _CONVERSATION_COLUMNS)
    request = local_seconds(hr.c.requested_at, levels.timezone)
    ends = clock_ends(hr, cr, null())
    settled = or_(hr.c.status.in_(UNSERVED), and_(*(getattr(hr.c, name).isnot(None) for name in (
        "claimed_at", "first_agent_reply_at", "resolved_at"))))
    keys = {
        "topic": topic,
        "day": local_day_sql(f"{c}.started_at", zone, connection.dialect.name),
        "channel": f"{c}.channel",
        "language": f"COALESCE({c}.language, '')",
        "agent": f"COALESCE({c}.agent, '')",
        "handled_by": f"COALESCE({h}.agent, '{UNASSIGNED}')",
        "primary_topic": f"COALESCE({c}.primary_topic, '{NO_TOPIC}')",
    }
    # The wall clocks once per handoff (m), the breaches from them (r): written out where
    # they are read, the triggers' SQL would be four times as long, and SQLite compiles it
    # into every statement that writes a conversation or a handoff.
    clocks = {"request": literal_sql(request, connection), **{
        clock: literal_sql(local_seconds(ends[clock], levels.timezone), connection)
        for clock in CLOCKS}}
    breaches = {clock: literal_sql(breached(
        literal_column("m.request"), literal_column(f"m.{clock}"), targets(levels)[clock],
        levels.business_hours), connection) for clock in CLOCKS}
    moments = ", ".join(f"{value} AS {name}" for name, value in {**keys, **clocks}.items())
    names = ", ".join(KEYS)
    counted = ", ".join([names] + [f"{value} AS {clock}" for clock, value in breaches.items()])
    sums = ", ".join([f"{sign}COUNT(*)"] + [f"{sign}SUM(r.{clock})" for clock in CLOCKS])
    updates = ", ".join(f"{m} = service_level_days.{m} + excluded.{m}" for m in MEASURES)
    # SQLite needs the WHERE before ON CONFLICT.
    return (
        f"INSERT INTO service_level_days ({names}, {', '.join(MEASURES)}) "
        f"SELECT {names}, {sums} FROM (SELECT {counted} FROM (SELECT {moments} {source} "
        f"AND ({literal_sql(settled, connection)})) m) r WHERE 1 = 1 GROUP BY {names} "
        f"ON CONFLICT ({names}) DO UPDATE SET {updates}"
    )


def _statements(connection: Connection, sign: str, changed: str, row: str, zone: str,
                levels: ServiceLevels) -> List[str]:
    """The statements moving the contribution of the handoffs that the ``changed`` row
    ``row`` (NEW or OLD) touches, under their conversation's keys and each of its topics.
    """
    if changed == "topic row":  # none once the conversation is gone: its trigger took them out
        return [_upsert(connection, sign, "h", "c", f"{row}.topic",
                        f"FROM handoffs h JOIN conversations c ON c.id = h.conversation_id "
                        f"WHERE h.conversation_id = {row}.conversation_id", zone, levels)]
    if changed == "handoff":  # the row itself, under its conversation's keys
        h, c, source, of = row, "c", "FROM conversations c", "c.id"
        where = f"c.id = {row}.conversation_id"
    else:  # a conversation: its handoffs, under the row's keys
        h, c, source, of = "h", row, "FROM handoffs h", f"{row}.id"
        where = f"h.conversation_id = {row}.id"
    per_topic = f"JOIN conversation_topics t ON t.conversation_id = {of}"
    return [_upsert(connection, sign, h, c, "''", f"{source} WHERE {where}", zone, levels),
            _upsert(connection, sign, h, c, "t.topic", f"{source} {per_topic} WHERE {where}",
                    zone, levels)]


_CONVERSATION_KEYS = ("started_at", "channel", "language", "agent", "primary_topic",
                      "last_activity_at")
_TRIGGERS = {
    # name: (table, timing, columns whose change fires it (None: every row), steps)
    "service_levels_handoff_insert": ("handoffs", "AFTER INSERT", None, [("", "handoff", "new")]),
    "service_levels_handoff_update": ("handoffs", "AFTER UPDATE", _HANDOFF_COLUMNS,
                                      [("-", "handoff", "old"), ("", "handoff", "new")]),
    "service_levels_handoff_delete": ("handoffs", "AFTER DELETE", None, [("-", "handoff", "old")]),
    "service_levels_conversation_update": (
        "conversations", "AFTER UPDATE", _CONVERSATION_KEYS,
        [("-", "conversation", "old"), ("", "conversation", "new")]),
    # Before the row goes, while its handoffs and topics are still there.
    "service_levels_conversation_delete": ("conversations", "BEFORE DELETE", None,
                                           [("-", "conversation", "old")]),
    "service_levels_topic_insert": ("conversation_topics", "AFTER INSERT", None,
                                    [("", "topic row", "new")]),
    "service_levels_topic_delete": ("conversation_topics", "AFTER DELETE", None,
                                    [("-", "topic row", "old")]),
}


def install_triggers(connection: Connection, zone: str, levels: ServiceLevels) -> None:
    """(Re-)create the triggers that keep ``service_level_days`` for ``zone``'s days and
    ``levels``.
    """
    create_row_triggers(connection, _TRIGGERS, lambda sign, what, row: _statements(
        connection, sign, what, row, zone, levels))


def drop_triggers(connection: Connection) -> None:
    """Drop the triggers that keep ``service_level_days`` (the table stays)."""
    drop_row_triggers(connection, _TRIGGERS)


def drop(connection: Connection) -> None:
    """Drop the service-level rollup, its settings and its triggers."""
    drop_triggers(connection)
    service_level_days.drop(connection)
    service_level_settings.drop(connection)


def rebuild(connection: Connection, zone: str) -> None:
    """Recount ``service_level_days`` from the handoffs for ``zone``'s days and the
    configured service levels, and re-create its triggers for them.
    """
    levels = ServiceLevels()
    connection.execute(service_level_days.delete())
    connection.execute(service_level_settings.delete())
    connection.execute(service_level_settings.insert().values(levels=levels_key(levels)))
    every = "FROM handoffs h JOIN conversations c ON c.id = h.conversation_id"
    connection.exec_driver_sql(_upsert(connection, "", "h", "c", "''", f"{every} WHERE 1 = 1",
                                       zone, levels))
    connection.exec_driver_sql(_upsert(
        connection, "", "h", "c", "t.topic",
        f"{every} JOIN conversation_topics t ON t.conversation_id = c.id WHERE 1 = 1", zone,
        levels))
    if connection.dialect.name == "postgresql":  # the planner's statistics of the new rows
        connection.exec_driver_sql("ANALYZE service_level_days")
    install_triggers(connection, zone, levels)


def rollup_levels(connection: Connection):
    """The levels (:func:`levels_key`) the rollup was counted for (None: no rollup)."""
    return connection.execute(select(service_level_settings.c.levels)).scalar()
