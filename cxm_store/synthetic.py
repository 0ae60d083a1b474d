"""A realistic synthetic history of touchpoints, written fast for demos and benchmarks.

:func:`generate` writes customers (with identities on web/telegram/rest),
conversations with a daily and weekly rhythm (busier on weekdays and in the
WIB evening), their topics, a short transcript, surveys and handoffs, with
bulk inserts: executemany of plain tuples in large batches on SQLite, COPY on
PostgreSQL. Every per-conversation counter equals what the transcript holds,
``resolved_confirmed`` and ``agent`` are set as the write path would set them.

It looks like the live store at ``end``: handoffs carry the reasons the bot
writes (``request``, ``complaint``, ``repeated_miss``; out of business hours
the customer leaves a message: a ``ticket`` with reason ``left_message``);
every past request was claimed and resolved, except the last
:data:`WAITING` customers, who asked for a person in the last
:data:`WAITING_WINDOW_S` seconds and are still waiting (if ``end`` falls in
business hours), and the few claimed in the last :data:`WITH_AGENT_S` seconds,
still with their agent. Customer messages carry their sentiment, from the
model when it is built (:mod:`cxm_store.sentiment`), else NULL.

Synthetic customers are recognisable by their identities' ``external_id``,
which starts with ``demo-`` (see :func:`has_synthetic_data`).

    python -m cxm_store demo-data [--conversations 20000] [--months 6] [--force]
"""
import random
from datetime import datetime, timedelta
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

from sqlalchemy import select
from sqlalchemy.engine import Engine

from cxm_store import sentiment, settings
from cxm_store.db import default_engine, utc_naive
from cxm_store.models import CustomerIdentity
from cxm_store.synthetic_conversation import HUMAN_TOPIC, ConversationWriter, Spec
from cxm_store.synthetic_data import (  # noqa: F401 (re-exported: tests and benches read them here)
    AGENTS,
    BATCH,
    CHANNELS,
    DEMO_PREFIX,
    HOURS_WIB,
    LINES,
    OUTCOMES,
    REPEAT_WINDOW_S,
    TOPICS,
    WAITING,
    WAITING_WINDOW_S,
    WEEKDAYS,
    WIB,
    WITH_AGENT_S,
)
from cxm_store.synthetic_journey import add_journeys
from cxm_store.synthetic_rows import TABLES, weighted


class _Readings:
    """Sentiment of the generator's customer lines, one classifier call per distinct line."""

    def __init__(self) -> None:
        self.cache: Dict[str, Any] = {}

    def __call__(self, line: str) -> Tuple[Optional[str], Optional[float]]:
        if line not in self.cache:
            self.cache[line] = sentiment.score(line.format(n=12345))
        felt = self.cache[line]
        return (None, None) if felt is None else (felt.label, felt.score)


def has_synthetic_data(engine: Engine = None) -> bool:
    """Whether the store holds customers made by :func:`generate`."""
    ident = CustomerIdentity.__table__
    with (engine or default_engine()).connect() as connection:
        return connection.execute(
            select(ident.c.id).where(ident.c.external_id.like(DEMO_PREFIX + "%")).limit(1)
        ).first() is not None


def _moments(rng: random.Random, start: datetime, end: datetime) -> Callable[[], float]:
    """Draws seconds after ``start`` of a conversation start: a day (weekday rhythm), then an hour (WIB)."""
    span = (end - start).total_seconds()
    first_day = (start + WIB).date()
    days = [first_day + timedelta(days=i)
            for i in range((end + WIB).date().toordinal() - first_day.toordinal() + 1)]
    pick_day = weighted([(d, WEEKDAYS[d.weekday()]) for d in days])
    pick_hour = weighted(list(enumerate(HOURS_WIB)))

    def moment() -> float:
        while True:
            day = pick_day(rng)
            at = (datetime.combine(day, datetime.min.time()) - WIB - start).total_seconds()
            at += pick_hour(rng) * 3600 + int(rng.random() * 3600)
            if 0.0 <= at < span:
                return at

    return moment


def _plan(rng: random.Random, conversations: int, moment: Callable[[], float], span: float,
          pick_topic: Callable) -> Tuple[List[Spec], List[Tuple[int, float]], List[Tuple[int, str]]]:
    """Who talks when: customers with one or more conversations, and their identities."""
    rand = rng.random
    pick_channel = weighted(CHANNELS)
    specs: List[Spec] = []
    customers: List[Tuple[int, float]] = []  # (customer index, first seen offset)
    identities: List[Tuple[int, str]] = []
    while len(specs) < conversations:
        index = len(customers)
        language = "id" if rand() < 0.7 else "en"
        channel = pick_channel(rng)
        count = rng.choices((1, 2, 3, 4, 6), (58, 22, 10, 6, 4))[0]
        count = min(count, conversations - len(specs))
        at = moment()
        customers.append((index, at))
        channels = [channel]
        identities.append((index, channel))
        topic = pick_topic(rng)
        for n in range(count):
            if n:
                roll = rand()
                if roll < 0.3:
                    # Comes back on the same topic within a week: no FCR.
                    at += 3600 * (2 + rand() * 160)
                else:
                    at += 86400 * (1 + rand() * 40)
                    topic = pick_topic(rng)
                if at >= span:
                    break
                if rand() < 0.1:
                    other = pick_channel(rng)
                    if other not in channels:
                        channels.append(other)
                        identities.append((index, other))
                    channel = other
            specs.append((at, index, channel, language, topic))
    specs.sort()
    return specs, customers, identities


def _waiting_tail(rng: random.Random, specs: List[Spec], span: float) -> Set[float]:
    """Make the latest conversations ask for a person 2-15 minutes before the end; their starts."""
    tail = set()
    for back in range(1, min(WAITING, len(specs)) + 1):
        _, index, channel, language, _ = specs[-back]
        at = max(0.0, span - 300 - rng.random() * (WAITING_WINDOW_S - 600))
        tail.add(at)
        specs[-back] = (at, index, channel, language, HUMAN_TOPIC)
    specs.sort()
    return tail


def _repeated(specs: List[Spec]) -> List[bool]:
    """FCR counter: the same customer starts another conversation on the same (primary) topic
    after this one, at most 7 days later (compared on whole seconds, as stored).
    """
    repeated = [False] * len(specs)
    earlier: Dict[Tuple[int, str], List[Tuple[int, int]]] = {}
    for position, (at, index, _, _, topic) in enumerate(specs):
        second = int(at)
        previous = earlier.setdefault((index, topic), [])
        for before_s, before_position in reversed(previous):
            if second - before_s > REPEAT_WINDOW_S:
                break
            if before_s < second:
                repeated[before_position] = True
        previous.append((second, position))
    return repeated


def generate(
    engine: Engine, conversations: int, start: datetime, end: datetime, seed: int = 7
) -> Dict[str, int]:
    """Write a synthetic history of ``conversations`` conversations started in ``[start, end)``.

    Appends to whatever the store holds (ids continue after the current
    maximum). Returns the number of rows written per table.
    """
    engine = engine or default_engine()
    start, end = utc_naive(start), utc_naive(end)
    if end <= start:
        raise ValueError("end must be after start")
    rng = random.Random(seed)
    span = (end - start).total_seconds()
    moment = _moments(rng, start, end)
    pick_topic = weighted([(t, w) for t, w, _ in TOPICS])
    penalty = {t: p for t, _, p in TOPICS}
    pick_outcome = weighted(OUTCOMES)
    specs, customers, identities = _plan(rng, conversations, moment, span, pick_topic)
    tail = _waiting_tail(rng, specs, span)
    repeated = _repeated(specs)
    with engine.begin() as connection:
        writer = ConversationWriter(connection, rng, start, span, _Readings(), settings.load(),
                                    pick_topic, pick_outcome, penalty)
        customer_id = writer.customers(customers, identities, seed)
        for position, spec in enumerate(specs):
            writer.conversation(spec, customer_id[spec[1]], spec[0] in tail, repeated[position])
        writer.rows.flush_all()
        if writer.postgres:
            for name in TABLES:
                connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                    f"COALESCE((SELECT MAX(id) FROM {name}), 1))"
                )
        counts = dict(writer.rows.counts)
    if writer.postgres:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("ANALYZE")
    else:
        with engine.connect() as connection:
            connection.exec_driver_sql("ANALYZE")
    counts.update(add_journeys(engine, start, end, rng))
    return counts
