"""Rows of the synthetic history, buffered per table and written in bulk (COPY on PostgreSQL)."""
import io
import random
from bisect import bisect_left
from itertools import accumulate
from typing import Dict, List, Sequence, Tuple

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from cxm_store.models import (
    SURVEY_COUNTERS,
    Conversation,
    ConversationTopic,
    Customer,
    CustomerIdentity,
    Handoff,
    HandoffTicket,
    Message,
    SurveyAnswer,
)
from cxm_store.synthetic_data import BATCH

_CONVERSATION_COLUMNS = (
    "id", "customer_id", "channel", "language", "started_at", "last_activity_at", "ended_at",
    "outcome", "primary_topic", "customer_message_count", "bot_message_count",
    "agent_message_count", "fallback_count", "resolved_confirmed", "agent",
    "has_handoff", "repeat_within_7d", *SURVEY_COUNTERS,
    "sentiment_count", "sentiment_sum", "negative_messages",
)
TABLES = {
    "customers": (Customer.__table__, ("id", "created_at")),
    "customer_identities": (CustomerIdentity.__table__, ("id", "customer_id", "channel", "external_id")),
    "conversations": (Conversation.__table__, _CONVERSATION_COLUMNS),
    "conversation_topics": (
        ConversationTopic.__table__, ("id", "conversation_id", "topic", "first_seen_at"),
    ),
    "messages": (
        Message.__table__,
        ("id", "conversation_id", "at", "sender", "text", "intent", "confidence", "is_fallback",
         "sentiment", "sentiment_score"),
    ),
    "survey_answers": (
        SurveyAnswer.__table__,
        ("id", "conversation_id", "customer_id", "kind", "score", "comment", "status",
         "asked_at", "answered_at", "agent"),
    ),
    "handoffs": (
        Handoff.__table__,
        ("id", "conversation_id", "reason", "requested_at", "claimed_at", "first_agent_reply_at",
         "resolved_at", "agent", "status"),
    ),
    "handoff_tickets": (
        HandoffTicket.__table__, ("id", "handoff_id", "contact", "message", "created_at"),
    ),
}


class RowWriter:
    """Buffers rows per table and flushes them in bulk (COPY on PostgreSQL)."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.postgres = connection.dialect.name == "postgresql"
        self.buffers: Dict[str, List[tuple]] = {name: [] for name in TABLES}
        self.counts: Dict[str, int] = {name: 0 for name in TABLES}

    def add(self, table: str, row: tuple) -> None:
        self.buffers[table].append(row)

    def maybe_flush(self) -> None:
        """Flush every table (parents first) once a buffer is full; call between conversations."""
        if any(len(rows) >= BATCH for rows in self.buffers.values()):
            self.flush_all()

    def flush(self, table: str) -> None:
        rows = self.buffers[table]
        if not rows:
            return
        _, columns = TABLES[table]
        if self.postgres:
            self._copy(table, columns, rows)
        else:
            sql = "INSERT INTO %s (%s) VALUES (%s)" % (
                table, ", ".join(columns), ", ".join("?" * len(columns))
            )
            self.connection.exec_driver_sql(sql, rows)
        self.counts[table] += len(rows)
        self.buffers[table] = []

    def flush_all(self) -> None:
        for table in TABLES:
            self.flush(table)

    def _copy(self, table: str, columns: Sequence[str], rows: List[tuple]) -> None:
        out = io.StringIO()
        write = out.write
        for row in rows:
            write("\t".join(_copy_value(v) for v in row))
            write("\n")
        out.seek(0)
        raw = self.connection.connection  # the DBAPI connection, same transaction
        with raw.cursor() as cursor:
            cursor.copy_expert("COPY %s (%s) FROM STDIN" % (table, ", ".join(columns)), out)


def _copy_value(value) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
            value = (
                value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
                .replace("\r", "\\r")
            )
        return value
    return str(value)


def weighted(pairs: Sequence[Tuple[object, float]]):
    values = [value for value, _ in pairs]
    cumulative = list(accumulate(weight for _, weight in pairs))
    total = cumulative[-1]

    def pick(rng: random.Random):
        return values[bisect_left(cumulative, rng.random() * total)]

    return pick


def next_ids(connection: Connection) -> Dict[str, int]:
    return {
        name: (connection.execute(select(func.max(table.c.id))).scalar() or 0) + 1
        for name, (table, _) in TABLES.items()
    }
