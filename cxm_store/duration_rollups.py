"""Daily histograms of handoff durations, so that their percentiles stay fast whatever the range.

Percentiles do not add up over days, counts in fixed buckets do.
``handoff_durations`` holds, per shop-local day of the conversation's start
(and again per local month: :data:`SPANS`), channel, language, agent, topic
(``''``: every conversation once, as in ``daily_rollups``), clock and bucket,
how many handoffs of those conversations took that long. The clocks (:data:`CLOCKS`) run from the
customer's request to an agent claiming it (``wait``), to the agent's first
reply (``first_response``) and to its resolution (``resolution``); a clock
that has not stopped is not counted.

Buckets (:data:`BOUNDS`): each at most 5 % of its start wide and at least
1 s (whole seconds up to 40 s), up to about 92 days (longer counts as 92
days): 296 buckets. A percentile read from the counts (:func:`percentile`) is within
**1 s + 5 % of the exact value** (percentile_cont over the raw durations):
each duration is placed inside its own bucket, so it moves by less than that
bucket's width, at most 1 s or 5 % of the duration, and the percentile blends
two of them.

Triggers on ``handoffs``, ``conversations`` (day, channel, language or agent
changed, or the row deleted) and ``conversation_topics`` keep the table in
the write's transaction, like :mod:`cxm_store.rollups`, which creates,
rebuilds and drops it with the daily rollup.
"""
import bisect
from typing import List, Mapping, Optional, Tuple

from sqlalchemy import Column, Date, Integer, String, Table, func, literal_column, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement

from cxm_store.db import Base
from cxm_store.sqlfuncs import (
    create_row_triggers,
    drop_row_triggers,
    literal_sql,
    local_day_sql,
    seconds_between,
)

# Clock -> the handoffs column where it stops (each runs from ``requested_at``).
CLOCKS = {"wait": "claimed_at", "first_response": "first_agent_reply_at",
          "resolution": "resolved_at"}
_GROWTH = 0.05  # a bucket is at most this share of its lower bound wide (and at least 1 s)
_CAP_S = 90 * 86400  # the last bucket starts at the first bound past this


def _bounds() -> Tuple[int, ...]:
    bounds = [0]
    while bounds[-1] < _CAP_S:
        bounds.append(max(bounds[-1] + 1, int(bounds[-1] * (1 + _GROWTH))))
    return tuple(bounds)


# Bucket k holds [BOUNDS[k], BOUNDS[k + 1]) seconds; the last one everything from ~92 days.
BOUNDS = _bounds()
# Each handoff is counted twice: on its local day and on its local month (``day`` is then
# the month's first day), so a long window reads its whole months, not each of their days.
SPANS = ("day", "month")
# Topic rows are also kept for any channel, language and agent (scope "any", those three
# keys "*"): a topic breakdown or filter without those filters reads them, every other
# query the handoffs' own rows (scope "own").
ANY = "*"
KEYS = ("span", "scope", "topic", "day", "channel", "language", "agent", "clock", "bucket")

handoff_durations = Table(
    "handoff_durations",
    Base.metadata,
    # Key order: every query reads one span and scope, one topic ('' or a named one, or
    # all named ones) and a range of days, so what it reads lies together.
    Column("span", String(5), primary_key=True),
    Column("scope", String(3), primary_key=True),
    Column("topic", String(80), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("channel", String(20), primary_key=True),
    Column("language", String(8), primary_key=True),
    Column("agent", String(80), primary_key=True),
    Column("clock", String(16), primary_key=True),
    Column("bucket", Integer, primary_key=True),
    Column("handoffs", Integer, nullable=False, server_default="0"),
    sqlite_with_rowid=False,  # the rows live in the key's order: a range is one read
)


# BOUNDS as a table, for the SQL that sorts durations into buckets (filled by the rebuild).
duration_buckets = Table(
    "duration_buckets",
    Base.metadata,
    Column("low_seconds", Integer, primary_key=True, autoincrement=False),
    Column("bucket", Integer, nullable=False),
)


def error_bound(seconds: float) -> float:
    """How far a percentile read from the buckets can be from the exact one (seconds)."""
    return 1.0 + _GROWTH * seconds


def bucket_of(seconds: ColumnElement) -> ColumnElement:
    """The bucket of a duration in seconds, as SQL: the last of ``duration_buckets`` starting
    at or below it (one index look-up; a negative duration, which a clock set back could
    give, counts in bucket 0). A look-up, not an expression over :data:`BOUNDS`: the
    triggers' SQL stays short, and SQLite parses it on every new connection.
    """
    b = duration_buckets
    found = (select(b.c.bucket).where(b.c.low_seconds <= seconds)
             .order_by(b.c.low_seconds.desc()).limit(1).scalar_subquery())
    return func.coalesce(found, 0)


def _value(bucket: int, index: int, count: int) -> float:
    """Where the ``index``-th (from 0) of ``count`` durations of ``bucket`` is placed."""
    if bucket >= len(BOUNDS) - 1:
        return float(BOUNDS[-1])
    low, high = BOUNDS[bucket], BOUNDS[bucket + 1]
    return low + (index + 0.5) / count * (high - low)


# Up to this many durations of one kind in a window (handoff waits and resolutions,
# follow-ups' times to close), the figures a lead reads are computed exactly from the
# rows; beyond, from the buckets (:func:`percentile`). A small shop's six months stay
# exact (the demo history holds about 3,200 handoffs); on the 1M-conversation bench an
# exact median over 13,000 handoffs read cold from disk took 952 ms, a busy shop's six
# months (over 100,000) seconds.
EXACT_UP_TO = 5_000


def percentile(counts: Mapping[int, int], pct: float) -> Optional[float]:
    """The ``pct``-th percentile (linear interpolation, like percentile_cont) of the durations
    counted per bucket in ``counts``; None when there are none.

    Each bucket's durations are spread evenly across it; the error bound is
    in the module docstring (:func:`error_bound`).
    """
    buckets = sorted(b for b, n in counts.items() if n > 0)
    total = sum(counts[b] for b in buckets)
    if total == 0:
        return None
    starts, seen = [], 0
    for bucket in buckets:
        starts.append(seen)
        seen += counts[bucket]

    def nth(rank: int) -> float:
        at = bisect.bisect_right(starts, rank) - 1
        return _value(buckets[at], rank - starts[at], counts[buckets[at]])

    position = (total - 1) * pct / 100.0
    whole = int(position)
    fraction = position - whole
    value = nth(whole)
    if fraction:
        value += fraction * (nth(whole + 1) - value)
    return value


# --- Triggers and rebuild ------------------------------------------------------


def _clock_seconds(connection: Connection, h: str) -> str:
    """SQL: the duration of clock ``k.clock`` of the handoff row ``h`` (NULL while running)."""
    whens = " ".join(
        f"WHEN '{clock}' THEN " + literal_sql(
            seconds_between(literal_column(f"{h}.{until}"), literal_column(f"{h}.requested_at")),
            connection)
        for clock, until in CLOCKS.items()
    )
    return f"CASE k.clock {whens} END"


def _expanded(per_topic: bool) -> str:
    """SQL: the clocks ``k`` and spans ``p`` of each handoff, and whether the row is the
    handoff's own (``w.anyone`` 0) or, for a topic, also the one of any channel, language
    and agent (1: a topic breakdown without those filters reads far fewer rows).
    """
    clocks = " UNION ALL ".join(f"SELECT '{clock}' AS clock" for clock in CLOCKS)
    spans = " UNION ALL ".join(f"SELECT '{span}' AS span" for span in SPANS)
    whose = "SELECT 0 AS anyone" + (" UNION ALL SELECT 1" if per_topic else "")
    return f"({clocks}) k CROSS JOIN ({spans}) p CROSS JOIN ({whose}) w"


def _own_or_any(value: str) -> str:
    return f"CASE w.anyone WHEN 1 THEN '{ANY}' ELSE {value} END"


def _upsert(connection: Connection, sign: str, h: str, c: str, topic: str, source: str,
            zone: str, ordered: bool = False) -> str:
    """The statement adding (``sign`` '+') or taking out ('-') the stopped clocks of the
    handoffs ``h`` of conversations ``c`` under ``topic`` (SQL), read ``source`` (the FROM
    and WHERE, with the clocks as ``k``). ``ordered``: rows written in key order (a rebuild:
    on PostgreSQL a query's rows then lie together on disk too).
    """
    day = "CASE p.span " + " ".join(
        f"WHEN '{span}' THEN {local_day_sql(f'{c}.started_at', zone, connection.dialect.name, span)}"
        for span in SPANS) + " END"
    channel, language, agent = (_own_or_any(value) for value in (
        f"{c}.channel", f"COALESCE({c}.language, '')", f"COALESCE({c}.agent, '')"))
    durations = (
        f"SELECT p.span AS span, CASE w.anyone WHEN 1 THEN 'any' ELSE 'own' END AS scope, "
        f"{topic} AS topic, {day} AS day, {channel} AS channel, "
        f"{language} AS language, {agent} AS agent, "
        f"k.clock AS clock, {_clock_seconds(connection, h)} AS s {source}"
    )
    bucket = literal_sql(bucket_of(literal_column("d.s")), connection)
    keys = ", ".join(KEYS)
    # Grouped: one statement may hold several handoffs of one bucket, and an upsert
    # may touch each row once. SQLite needs the WHERE before ON CONFLICT.
    return (
        f"INSERT INTO handoff_durations ({keys}, handoffs) "
        f"SELECT {keys}, {sign}COUNT(*) FROM (SELECT d.span, d.scope, d.topic, d.day, "
        f"d.channel, d.language, d.agent, d.clock, {bucket} AS bucket FROM ({durations}) d "
        f"WHERE d.s IS NOT NULL) r "
        f"WHERE 1 = 1 GROUP BY {keys} {'ORDER BY ' + keys if ordered else ''} "
        f"ON CONFLICT ({keys}) DO UPDATE SET handoffs = handoff_durations.handoffs + excluded.handoffs"
    )


def _statements(connection: Connection, sign: str, changed: str, row: str, zone: str) -> List[str]:
    """The statements moving the contribution of the ``changed`` row ``row`` (NEW or OLD, or
    every row for a rebuild).
    """
    if changed == "handoff":  # under its conversation's keys and each of its topics
        where = f"WHERE c.id = {row}.conversation_id"
        return [
            _upsert(connection, sign, row, "c", "''",
                    f"FROM conversations c CROSS JOIN {_expanded(False)} {where}", zone),
            _upsert(connection, sign, row, "c", "t.topic",
                    f"FROM conversations c JOIN conversation_topics t ON t.conversation_id = c.id "
                    f"CROSS JOIN {_expanded(True)} {where}", zone),
        ]
    if changed == "conversation":  # its handoffs, under its keys and each of its topics
        where = f"WHERE h.conversation_id = {row}.id"
        return [
            _upsert(connection, sign, "h", row, "''",
                    f"FROM handoffs h CROSS JOIN {_expanded(False)} {where}", zone),
            _upsert(connection, sign, "h", row, "t.topic",
                    f"FROM handoffs h JOIN conversation_topics t "
                    f"ON t.conversation_id = h.conversation_id CROSS JOIN {_expanded(True)} {where}",
                    zone),
        ]
    # A topic row: its conversation's handoffs under that topic (none once the
    # conversation is gone: its delete trigger took them out).
    return [_upsert(connection, sign, "h", "c", f"{row}.topic",
                    f"FROM handoffs h JOIN conversations c ON c.id = h.conversation_id "
                    f"CROSS JOIN {_expanded(True)} WHERE h.conversation_id = {row}.conversation_id",
                    zone)]


_HANDOFF_TIMES = ("conversation_id", "requested_at", *CLOCKS.values())
_CONVERSATION_KEYS = ("started_at", "channel", "language", "agent")
_TRIGGERS = {
    # name: (table, timing, columns whose change fires it (None: every row), steps)
    "durations_handoff_insert": ("handoffs", "AFTER INSERT", None, [("+", "handoff", "new")]),
    "durations_handoff_update": ("handoffs", "AFTER UPDATE", _HANDOFF_TIMES,
                                 [("-", "handoff", "old"), ("+", "handoff", "new")]),
    "durations_handoff_delete": ("handoffs", "AFTER DELETE", None, [("-", "handoff", "old")]),
    "durations_conversation_update": ("conversations", "AFTER UPDATE", _CONVERSATION_KEYS,
                                      [("-", "conversation", "old"), ("+", "conversation", "new")]),
    # Before the row goes, while its handoffs and topics are still there.
    "durations_conversation_delete": ("conversations", "BEFORE DELETE", None,
                                      [("-", "conversation", "old")]),
    "durations_topic_insert": ("conversation_topics", "AFTER INSERT", None, [("+", "topic", "new")]),
    "durations_topic_delete": ("conversation_topics", "AFTER DELETE", None, [("-", "topic", "old")]),
}


def install_triggers(connection: Connection, zone: str) -> None:
    """(Re-)create the triggers that keep ``handoff_durations`` for local days of ``zone``."""
    create_row_triggers(connection, _TRIGGERS, lambda sign, what, row: _statements(
        connection, sign, what, row, zone))


def drop_triggers(connection: Connection) -> None:
    drop_row_triggers(connection, _TRIGGERS)


def rebuild(connection: Connection, zone: str) -> None:
    """Recount ``handoff_durations`` from the handoffs for ``zone``'s days, and re-create
    its triggers for that zone.
    """
    connection.execute(duration_buckets.delete())
    connection.execute(duration_buckets.insert(),
                       [{"low_seconds": low, "bucket": n} for n, low in enumerate(BOUNDS)])
    connection.execute(handoff_durations.delete())
    every = "FROM handoffs h JOIN conversations c ON c.id = h.conversation_id"
    for statement in (
        _upsert(connection, "+", "h", "c", "''", f"{every} CROSS JOIN {_expanded(False)}", zone,
                ordered=True),
        _upsert(connection, "+", "h", "c", "t.topic",
                f"{every} JOIN conversation_topics t ON t.conversation_id = c.id "
                f"CROSS JOIN {_expanded(True)}", zone, ordered=True),
    ):
        connection.exec_driver_sql(statement)
    if connection.dialect.name == "postgresql":  # the planner's statistics of the new rows
        connection.exec_driver_sql("ANALYZE handoff_durations")
    install_triggers(connection, zone)
