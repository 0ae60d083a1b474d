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
import io
import math
import random
from bisect import bisect_left
from datetime import datetime, timedelta
from itertools import accumulate
from typing import Dict, List, Sequence, Tuple

from sqlalchemy import func, select
from sqlalchemy.engine import Connection, Engine

from contract.dialogue import FALLBACK_INTENT
from contract.vocabulary import (
    CES,
    CLAIMED,
    CSAT,
    REASON_COMPLAINT,
    REASON_LEFT_MESSAGE,
    REASON_REPEATED_MISS,
    REQUESTED,
)
from cxm_store import sentiment, settings
from cxm_store.db import default_engine, utc_naive
from cxm_store.handoffs import within_business_hours
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
    survey_tally,
)
from cxm_store.synthetic_journey import add_journeys

DEMO_PREFIX = "demo-"
AGENTS = ("rina", "budi", "sari", "dewi")
CHANNELS = (("web", 50), ("telegram", 35), ("rest", 15))
WIB = timedelta(hours=7)
BATCH = 50_000
# The console at ``end``: a handful waiting for minutes, a few with an agent.
WAITING = 3
WAITING_WINDOW_S = 15 * 60
WITH_AGENT_S = 2 * 3600

# (topic, weight, csat penalty: how much worse its CSAT is)
TOPICS = (
    ("check_order_status", 22, 0.0),
    ("faq/shipping_time", 9, 0.0),
    ("faq/shipping_cost", 7, 0.0),
    ("faq/returns", 6, 0.3),
    ("faq/refunds", 5, 0.5),
    ("faq/payment_methods", 6, 0.0),
    ("faq/vouchers", 5, 0.2),
    ("faq/warranty", 3, 0.2),
    ("faq/cancel_order", 4, 0.3),
    ("faq/change_address", 3, 0.1),
    ("faq/account_password", 3, 0.1),
    ("faq/store_hours_contacts", 3, 0.0),
    ("faq/product_availability", 4, 0.0),
    ("faq/delivery_late", 6, 1.4),
    ("faq/item_damaged", 3, 1.6),
    ("faq/wrong_item", 2, 1.2),
    ("complain", 4, 1.8),
    ("request_human", 5, 0.6),
)
OUTCOMES = (("resolved", 62), ("escalated", 12), ("abandoned", 21), ("unresolved", 5))
# Hour of day in WIB -> relative traffic (quiet at night, peak 19-21).
HOURS_WIB = (2, 1, 1, 1, 1, 2, 4, 7, 10, 12, 12, 12, 11, 11, 11, 10, 10, 11, 13, 16, 17, 15, 10, 5)
WEEKDAYS = (1.0, 1.0, 1.0, 1.0, 0.95, 0.75, 0.6)  # Monday first

LINES = {
    "id": {
        "greet": ("halo", "hai kak", "selamat malam", "permisi min", "pagi kak"),
        "check_order_status": (
            "pesanan INV-2024-{n:05d} sudah sampai mana?", "cek status order {n:05d} dong",
            "paket saya kok belum dikirim ya", "resi pesanan saya apa ya kak",
        ),
        "faq/shipping_time": ("pengiriman ke Surabaya berapa hari?", "kirim ke Medan lama ga?"),
        "faq/shipping_cost": ("ongkir ke Bali berapa?", "ada gratis ongkir ga kak?"),
        "faq/returns": ("cara retur barang gimana?", "mau retur, ukurannya kekecilan"),
        "faq/refunds": ("refund saya kapan masuk?", "dana belum balik kak"),
        "faq/payment_methods": ("bisa bayar pakai OVO?", "bisa COD ga?", "bayar via VA BCA bisa?"),
        "faq/vouchers": ("voucher saya ga bisa dipakai", "kode promo ga valid kak"),
        "faq/warranty": ("garansi berapa lama?", "klaim garansi caranya gimana"),
        "faq/cancel_order": ("mau batalin pesanan", "cancel order bisa ga kak"),
        "faq/change_address": ("mau ganti alamat kirim", "alamat saya salah kak"),
        "faq/account_password": ("lupa password", "ga bisa login kak"),
        "faq/store_hours_contacts": ("toko buka jam berapa?", "nomor CS berapa?"),
        "faq/product_availability": ("sepatu ukuran 42 ready?", "stok warna hitam ada?"),
        "faq/delivery_late": ("paket saya telat 3 hari", "kok belum sampai juga sih"),
        "faq/item_damaged": ("barangnya rusak pas sampai", "layarnya retak kak"),
        "faq/wrong_item": ("barang yang dikirim salah", "warnanya beda dari pesanan"),
        "complain": ("pelayanannya lambat banget", "kecewa banget sama tokonya"),
        "request_human": ("mau bicara sama CS", "tolong sambungkan ke admin"),
        "thanks": ("makasih kak", "oke terima kasih", "siap, makasih"),
        "fallback": ("hmm gmn ya", "??", "asdf", "yg kmrn itu loh"),
        "bot": ("Baik kak, ini informasinya.", "Siap kak, saya bantu cek ya.",
                "Berikut caranya, kak.", "Mohon maaf atas ketidaknyamanannya, kak."),
        "bot_fallback": ("Maaf kak, saya belum paham. Bisa diulang?",),
        "agent": ("Halo kak, saya bantu cek dulu ya.", "Sudah saya proses ya kak.",
                  "Mohon ditunggu sebentar, kak."),
        "good": ("mantap, cepat responnya", "membantu sekali", "oke jelas"),
        "bad": ("lama banget nunggu admin", "jawabannya ga nyambung", "masalah belum selesai",
                "barang rusak belum diganti"),
    },
    "en": {
        "greet": ("hi", "hello", "good evening", "hey there"),
        "check_order_status": (
            "where is my order INV-2024-{n:05d}?", "status of order {n:05d} please",
            "my parcel hasn't shipped yet",
        ),
        "faq/shipping_time": ("how long is delivery to Jakarta?", "shipping time to Bandung?"),
        "faq/shipping_cost": ("how much is shipping to Bali?", "is shipping free?"),
        "faq/returns": ("how do I return an item?", "I want to return these shoes"),
        "faq/refunds": ("when will I get my refund?", "refund still not received"),
        "faq/payment_methods": ("can I pay by card?", "do you accept PayPal?"),
        "faq/vouchers": ("my voucher doesn't work", "promo code invalid"),
        "faq/warranty": ("how long is the warranty?", "how do I claim warranty"),
        "faq/cancel_order": ("I want to cancel my order", "can I cancel?"),
        "faq/change_address": ("I need to change my address", "wrong shipping address"),
        "faq/account_password": ("forgot my password", "can't log in"),
        "faq/store_hours_contacts": ("what are your opening hours?", "what's your phone number?"),
        "faq/product_availability": ("is size 42 in stock?", "do you have it in black?"),
        "faq/delivery_late": ("my delivery is 3 days late", "still not delivered"),
        "faq/item_damaged": ("the item arrived damaged", "screen is cracked"),
        "faq/wrong_item": ("I received the wrong item", "wrong colour sent"),
        "complain": ("this service is terrible", "very disappointed"),
        "request_human": ("let me talk to a human", "agent please"),
        "thanks": ("thanks", "thank you", "great, thanks"),
        "fallback": ("hmm", "??", "asdf", "that thing from yesterday"),
        "bot": ("Sure, here is the information.", "Let me check that for you.",
                "Here is how to do it.", "Sorry for the inconvenience."),
        "bot_fallback": ("Sorry, I didn't get that. Could you rephrase?",),
        "agent": ("Hi, let me look into this.", "Done, it's processed now.",
                  "Please hold on a moment."),
        "good": ("quick and helpful", "very clear, thanks", "great service"),
        "bad": ("waited too long for an agent", "answer didn't help", "still not solved",
                "damaged item not replaced yet"),
    },
}

_CONVERSATION_COLUMNS = (
    "id", "customer_id", "channel", "language", "started_at", "last_activity_at", "ended_at",
    "outcome", "primary_topic", "customer_message_count", "bot_message_count",
    "agent_message_count", "fallback_count", "resolved_confirmed", "agent",
    "has_handoff", "repeat_within_7d", *SURVEY_COUNTERS,
    "sentiment_count", "sentiment_sum", "negative_messages",
)
REPEAT_WINDOW_S = 7 * 86400
_TABLES = {
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


def _live_reason(topic: str, fallbacks: int) -> str:
    """Why the bot hands over (actions/handoff.py): a complaint, two misses, or a request."""
    if topic == "complain":
        return REASON_COMPLAINT
    return REASON_REPEATED_MISS if fallbacks else "request"


class _Readings:
    """Sentiment of the generator's customer lines, one classifier call per distinct line."""

    def __init__(self) -> None:
        self.cache: Dict[str, object] = {}

    def __call__(self, line: str) -> Tuple[object, object]:
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


class _Writer:
    """Buffers rows per table and flushes them in bulk (COPY on PostgreSQL)."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.postgres = connection.dialect.name == "postgresql"
        self.buffers: Dict[str, List[tuple]] = {name: [] for name in _TABLES}
        self.counts: Dict[str, int] = {name: 0 for name in _TABLES}

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
        _, columns = _TABLES[table]
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
        for table in _TABLES:
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


def _weighted(pairs: Sequence[Tuple[object, float]]):
    values = [value for value, _ in pairs]
    cumulative = list(accumulate(weight for _, weight in pairs))
    total = cumulative[-1]

    def pick(rng: random.Random):
        return values[bisect_left(cumulative, rng.random() * total)]

    return pick


def _next_ids(connection: Connection) -> Dict[str, int]:
    return {
        name: (connection.execute(select(func.max(table.c.id))).scalar() or 0) + 1
        for name, (table, _) in _TABLES.items()
    }


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
    rand = rng.random
    span = (end - start).total_seconds()

    # --- When: a day (weekday rhythm) then an hour (WIB rhythm) ---------------
    first_day = (start + WIB).date()
    days = [first_day + timedelta(days=i) for i in range((end + WIB).date().toordinal() - first_day.toordinal() + 1)]
    pick_day = _weighted([(d, WEEKDAYS[d.weekday()]) for d in days])
    pick_hour = _weighted(list(enumerate(HOURS_WIB)))
    start_s = 0.0

    def moment() -> float:
        """Seconds after ``start`` of a conversation start, following the rhythm."""
        while True:
            day = pick_day(rng)
            at = (datetime.combine(day, datetime.min.time()) - WIB - start).total_seconds()
            at += pick_hour(rng) * 3600 + int(rand() * 3600)
            if start_s <= at < span:
                return at

    pick_channel = _weighted(CHANNELS)
    pick_topic = _weighted([(t, w) for t, w, _ in TOPICS])
    penalty = {t: p for t, _, p in TOPICS}
    pick_outcome = _weighted(OUTCOMES)

    # --- Who and when: customers with one or more conversations ----------------
    # Spec of a conversation: (offset s, customer, channel, language, topic)
    specs: List[Tuple[float, int, str, str, str]] = []
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
    # The live tail: the latest conversations asked for a person minutes before
    # ``end`` (requests land 2-15 minutes before it).
    tail = set()
    for back in range(1, min(WAITING, len(specs)) + 1):
        _, index, channel, language, _ = specs[-back]
        at = max(0.0, span - 300 - rand() * (WAITING_WINDOW_S - 600))
        tail.add(at)
        specs[-back] = (at, index, channel, language, "request_human")
    specs.sort()
    hours = settings.load()
    reading = _Readings()

    # FCR counter: a conversation is repeated when the same customer starts
    # another one with the same (primary) topic after it, at most 7 days later.
    # Compared on whole seconds, as stored.
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

    counts: Dict[str, int] = {}
    with engine.begin() as connection:
        postgres = connection.dialect.name == "postgresql"
        epoch = start

        if postgres:
            def ts(seconds: float) -> str:
                return (epoch + timedelta(seconds=int(seconds))).isoformat(sep=" ")
        else:
            def ts(seconds: float) -> str:
                # SQLAlchemy's SQLite DATETIME storage format, so comparisons match.
                return (epoch + timedelta(seconds=int(seconds))).isoformat(sep=" ") + ".000000"

        ids = _next_ids(connection)
        writer = _Writer(connection)
        add = writer.add
        customer_id = [0] * len(customers)
        for index, first_seen in customers:
            customer_id[index] = ids["customers"] + index
            add("customers", (customer_id[index], ts(first_seen)))
        for n, (index, channel) in enumerate(identities):
            add(
                "customer_identities",
                (ids["customer_identities"] + n, customer_id[index], channel,
                 f"{DEMO_PREFIX}{channel}-{seed}-{customer_id[index]}"),
            )

        conv_id = ids["conversations"]
        msg_id = ids["messages"]
        topic_id = ids["conversation_topics"]
        answer_id = ids["survey_answers"]
        handoff_id = ids["handoffs"]
        ticket_id = ids["handoff_tickets"]
        tally = [0] * len(SURVEY_COUNTERS)
        felt = [0, 0.0, 0]  # scored customer messages, their score sum, negatives

        def say(cid: int, at: float, line: str, text: str, intent: str, confidence: float,
                fallback: bool) -> None:
            """A customer message, with its sentiment counted on the conversation."""
            nonlocal msg_id, cust_msgs
            label, score = reading(line)
            add("messages", (msg_id, cid, ts(at), "customer", text, intent, confidence, fallback,
                             label, score))
            msg_id += 1
            cust_msgs += 1
            if label is not None:
                felt[0] += 1
                felt[1] += score
                felt[2] += label == "negative"

        def small_talk(cid: int, at: float, intent: str) -> None:
            """A greeting or thanks: a message and a topic (never the primary one)."""
            nonlocal topic_id
            text = rng.choice(lines[intent])
            say(cid, at, text, text, intent, 0.97, False)
            add("conversation_topics", (topic_id, cid, intent, ts(at)))
            topic_id += 1

        def add_answer(row: tuple) -> None:
            # (id, conversation, customer, kind, score, comment, status, ...)
            add("survey_answers", row)
            for i, n in enumerate(survey_tally(row[3], row[6], row[4])):
                tally[i] += n

        for position, (at, index, channel, language, topic) in enumerate(specs):
            tally[:] = [0] * len(SURVEY_COUNTERS)
            felt[:] = [0, 0.0, 0]
            cid = conv_id
            conv_id += 1
            cust = customer_id[index]
            lines = LINES[language]
            outcome = pick_outcome(rng)
            if topic == "request_human" and rand() < 0.7:
                outcome = "escalated"
            elif topic == "complain" and rand() < 0.35:
                outcome = "escalated"
            waiting = at in tail
            if waiting:
                outcome = "escalated"
            t = at
            # Transcript: optional greeting, the question, replies; ~3 lines.
            cust_msgs = bot_msgs = agent_msgs = fallbacks = 0
            if rand() < 0.35:
                small_talk(cid, t, "greet")
                t += 5 + rand() * 40
            line = rng.choice(lines[topic])
            question = line.format(n=int(rand() * 99999))
            say(cid, t, line, question, topic, 0.8 + rand() * 0.19, False)
            add("conversation_topics", (topic_id, cid, topic, ts(t)))
            topic_id += 1
            t += 1 + rand() * 3
            add("messages", (msg_id, cid, ts(t), "bot", rng.choice(lines["bot"]), None, None, False,
                             None, None))
            msg_id += 1
            bot_msgs += 1
            if rand() < 0.08 + 0.1 * (penalty[topic] > 1):
                t += 10 + rand() * 60
                text = rng.choice(lines["fallback"])
                say(cid, t, text, text, FALLBACK_INTENT, 0.2 + rand() * 0.2, True)
                fallbacks += 1
            if rand() < 0.12 and topic != "request_human":
                # A second question in the same conversation.
                second = pick_topic(rng)
                if second not in (topic, "request_human"):
                    t += 20 + rand() * 120
                    add("conversation_topics", (topic_id, cid, second, ts(t)))
                    topic_id += 1

            # Handoff: every escalation, and a few resolved by an agent.
            agent = None
            handed_off = outcome == "escalated" or (outcome == "resolved" and rand() < 0.04)
            if handed_off:
                t += 10 + rand() * 60
                requested = t
                if topic != "request_human":
                    add("conversation_topics", (topic_id, cid, "request_human", ts(t)))
                    topic_id += 1
                reason = _live_reason(topic, fallbacks)
                claimed = first_reply = resolved_at = None
                if not within_business_hours(start + timedelta(seconds=requested), hours):
                    # Nobody answers: the customer leaves a message for the team.
                    status, reason = "ticket", REASON_LEFT_MESSAGE
                    contact = f"{DEMO_PREFIX}{cust}@example.com"
                    add("handoff_tickets",
                        (ticket_id, handoff_id, contact, question, ts(requested)))
                    ticket_id += 1
                else:
                    evening = (start + WIB + timedelta(seconds=requested)).hour >= 18
                    wait = math.exp(rng.gauss(math.log(150 if not evening else 420), 0.8))
                    claimed = requested + min(wait, 4 * 3600)
                    # Not claimed by ``end``: still in the queue.
                    status = REQUESTED if waiting or claimed >= span else CLAIMED
                if status == REQUESTED:
                    claimed = None
                elif status == CLAIMED:
                    agent = AGENTS[int(rand() * 4) if rand() < 0.8 else 0]
                    t = claimed
                    if claimed + 105 < span:
                        first_reply = t = claimed + 15 + rand() * 90
                        add("messages", (msg_id, cid, ts(t), "agent", rng.choice(lines["agent"]),
                                         None, None, False, None, None))
                        msg_id += 1
                        agent_msgs += 1
                    resolved_at = claimed + math.exp(rng.gauss(math.log(1200), 0.7))
                    # Only the last couple of hours' handoffs can still be with their agent.
                    if resolved_at < span and (span - requested > WITH_AGENT_S or rand() < 0.88):
                        status = "resolved"
                        t = max(t, resolved_at)
                    else:
                        resolved_at = None
                        t += 60 + rand() * 600
                add(
                    "handoffs",
                    (handoff_id, cid, reason, ts(requested),
                     ts(claimed) if claimed is not None else None,
                     ts(first_reply) if first_reply is not None else None,
                     ts(resolved_at) if resolved_at is not None else None,
                     agent, status),
                )
                handoff_id += 1

            if outcome == "resolved" and rand() < 0.3:
                # The customer thanks the bot, which opens the survey.
                t += 20 + rand() * 60
                small_talk(cid, t, "thanks")
            last = t + 5 + rand() * 60
            open_now = waiting or span - last < 1800 and rand() < 0.7
            if open_now:
                ended = None
                if outcome == "abandoned":
                    outcome = None
            else:
                ended = last

            # Survey on about half of the ended, non-abandoned conversations.
            resolved_confirmed = None
            if ended is not None and outcome != "abandoned" and rand() < 0.62:
                asked = last
                reaction = rand()
                if reaction < 0.6:
                    yes = outcome == "resolved" and rand() < 0.9 or outcome != "resolved" and rand() < 0.1
                    resolved_confirmed = yes
                    answer = asked + 10 + rand() * 50
                    add_answer((answer_id, cid, cust, "resolved", 1 if yes else 0, None,
                                           "answered", ts(asked), ts(answer), agent))
                    answer_id += 1
                    mean = 4.7 - penalty[topic] - (0 if yes else 1.2) - (0.3 if fallbacks else 0)
                    csat = max(1, min(5, round(rng.gauss(mean, 0.9))))
                    asked, answer = answer, answer + 5 + rand() * 30
                    add_answer((answer_id, cid, cust, CSAT, csat, None, "answered",
                                           ts(asked), ts(answer), agent))
                    answer_id += 1
                    if rand() < 0.6:
                        ces = max(1, min(7, round(rng.gauss(csat * 1.2 + 0.5, 1.0))))
                        asked, answer = answer, answer + 5 + rand() * 30
                        add_answer((answer_id, cid, cust, CES, ces, None, "answered",
                                               ts(asked), ts(answer), agent))
                        answer_id += 1
                    if rand() < 0.2:
                        nps = max(0, min(10, round(rng.gauss(csat * 1.6 + 1.5, 1.3))))
                        asked, answer = answer, answer + 5 + rand() * 30
                        add_answer((answer_id, cid, cust, "nps", nps, None, "answered",
                                               ts(asked), ts(answer), agent))
                        answer_id += 1
                    if rand() < (0.6 if csat <= 2 else 0.15):
                        comment = rng.choice(lines["bad" if csat <= 2 else "good"])
                        asked, answer = answer, answer + 20 + rand() * 90
                        add_answer((answer_id, cid, cust, "comment", None, comment,
                                               "answered", ts(asked), ts(answer), agent))
                        answer_id += 1
                else:
                    status = "declined" if reaction < 0.75 else "unanswered"
                    add_answer((answer_id, cid, cust, "resolved", None, None, status,
                                           ts(asked), ts(asked + 30) if status == "declined" else None,
                                           agent))
                    answer_id += 1
                    if status == "declined" and rand() < 0.5:
                        add_answer((answer_id, cid, cust, CSAT, None, None, "declined",
                                               ts(asked + 31), ts(asked + 40), agent))
                        answer_id += 1
                last = max(last, asked)
                if ended is not None:
                    ended = last

            add(
                "conversations",
                (cid, cust, channel, language, ts(at), ts(last),
                 ts(ended) if ended is not None else None, outcome, topic, cust_msgs, bot_msgs,
                 agent_msgs, fallbacks, resolved_confirmed, agent, handed_off,
                 repeated[position], *tally, *felt),
            )
            writer.maybe_flush()
        writer.flush_all()
        if postgres:
            for name, (table, _) in _TABLES.items():
                connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                    f"COALESCE((SELECT MAX(id) FROM {name}), 1))"
                )
        counts = dict(writer.counts)
    if postgres:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("ANALYZE")
    else:
        with engine.connect() as connection:
            connection.exec_driver_sql("ANALYZE")
    counts.update(add_journeys(engine, start, end, rng))
    return counts
