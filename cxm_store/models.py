"""Tables of the store."""
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    false,
    text,
)

from contract.vocabulary import (
    ANSWERED,
    CES,
    CES_EASY,
    CSAT,
    CSAT_SATISFIED,
    NPS,
    NPS_DETRACTORS,
    NPS_PROMOTERS,
    REQUESTED,
    SCALES,
    SURVEY_RESOLVED,
    in_band,
)
from cxm_store.db import Base
from cxm_store.encryption import EncryptedText


class Order(Base):
    """An order of the demo shop, looked up by customers asking for its status."""

    __tablename__ = "orders"

    order_id = Column(String(20), primary_key=True)
    status = Column(String(20), nullable=False)
    courier = Column(String(40), nullable=True)
    tracking_number = Column(String(40), nullable=True)
    ordered_on = Column(Date, nullable=False)
    eta = Column(Date, nullable=True)
    item_count = Column(Integer, nullable=False, default=1)
    # Who placed it (migration 0008): a customer naming the order with this
    # contact proves the channel they write on is theirs (cxm_store.identity).
    contact_phone = Column(String(32), nullable=True)
    contact_email = Column(String(200), nullable=True)


# --- Touchpoints -----------------------------------------------------------
# Timestamps are naive UTC everywhere: SQLite has no time zones, and durations
# are computed in SQL on both engines from the same stored values.

# The allowed values (outcomes, senders, survey kinds...) are in contract.vocabulary.


def _cascade(target: str, name: str) -> ForeignKey:
    # Named like in the migration so autogenerate sees no drift; children go
    # with their parent so erasing a customer erases their touchpoints.
    return ForeignKey(target, ondelete="CASCADE", name=name)


class Customer(Base):
    """A person, known through one or more channel identities."""

    __tablename__ = "customers"

    id = Column(Integer, primary_key=True)
    created_at = Column(DateTime, nullable=False)
    # Set when this customer was proved to be another one and merged into it
    # (migration 0008); everything of theirs then belongs to that customer.
    merged_into_id = Column(Integer, nullable=True)


class CustomerIdentity(Base):
    """How a customer is known on one channel (web session id, Telegram user id...)."""

    __tablename__ = "customer_identities"
    __table_args__ = (
        UniqueConstraint("channel", "external_id", name="uq_customer_identities_channel_external"),
        Index("ix_customer_identities_customer", "customer_id"),
    )

    id = Column(Integer, primary_key=True)
    customer_id = Column(
        Integer, _cascade("customers.id", "fk_customer_identities_customer"), nullable=False
    )
    channel = Column(String(20), nullable=False)
    external_id = Column(String(128), nullable=False)


class Conversation(Base):
    """A touchpoint: one customer's contiguous exchange on one channel.

    The conversation is open while ``ended_at`` is NULL: it takes new messages
    until it has been idle for the inactivity window, even once its
    ``outcome`` is known (the bot/agent flow sets it, and may revise it, while
    the conversation is open). Closing it sets ``ended_at`` to the last
    activity and ``outcome`` to ``abandoned`` if none was set. The counters are
    kept up to date on every message so metrics never have to scan transcripts.
    """

    __tablename__ = "conversations"
    __table_args__ = (
        CheckConstraint(
            "outcome IS NULL OR outcome IN ('resolved', 'unresolved', 'escalated', 'abandoned')",
            name="ck_conversations_outcome",
        ),
        Index("ix_conversations_started_at", "started_at"),
        Index("ix_conversations_customer_started", "customer_id", "started_at"),
        # Open conversation of a customer (write path) and the idle sweep.
        Index("ix_conversations_open", "ended_at", "last_activity_at"),
        # FCR repeat look-up (migration 0005).
        Index(
            "ix_conversations_customer_topic_started", "customer_id", "primary_topic", "started_at"
        ),
        # Handoff percentiles: the selected conversations with a handoff (migration 0006).
        Index("ix_conversations_handoff_started", "has_handoff", "started_at"),
    )

    id = Column(Integer, primary_key=True)
    customer_id = Column(
        Integer, _cascade("customers.id", "fk_conversations_customer"), nullable=False
    )
    channel = Column(String(20), nullable=False)
    language = Column(String(8), nullable=True)
    started_at = Column(DateTime, nullable=False)
    last_activity_at = Column(DateTime, nullable=False)
    ended_at = Column(DateTime, nullable=True)
    outcome = Column(String(16), nullable=True)
    primary_topic = Column(String(80), nullable=True)
    customer_message_count = Column(Integer, nullable=False, default=0)
    bot_message_count = Column(Integer, nullable=False, default=0)
    agent_message_count = Column(Integer, nullable=False, default=0)
    fallback_count = Column(Integer, nullable=False, default=0)
    resolved_confirmed = Column(Boolean, nullable=True)
    agent = Column(String(80), nullable=True)
    # Metric counters (migration 0006), kept by the write path in the same
    # transaction as the rows they summarise, so the metrics read one table:
    # a handoffs row exists; the same customer started another conversation
    # with the same primary topic within 7 days after this one (FCR);
    # survey tallies: rows asked, rows answered, answered ``resolved`` rows and
    # how many said yes, and per scored kind the answered count, score sum and
    # the counts in the "good" bands.
    has_handoff = Column(Boolean, nullable=False, default=False, server_default=false())
    repeat_within_7d = Column(Boolean, nullable=False, default=False, server_default=false())
    survey_asked = Column(Integer, nullable=False, default=0, server_default="0")
    survey_answered = Column(Integer, nullable=False, default=0, server_default="0")
    resolved_answered = Column(Integer, nullable=False, default=0, server_default="0")
    resolved_yes = Column(Integer, nullable=False, default=0, server_default="0")
    csat_count = Column(Integer, nullable=False, default=0, server_default="0")
    csat_sum = Column(Integer, nullable=False, default=0, server_default="0")
    csat_high = Column(Integer, nullable=False, default=0, server_default="0")
    ces_count = Column(Integer, nullable=False, default=0, server_default="0")
    ces_sum = Column(Integer, nullable=False, default=0, server_default="0")
    ces_easy = Column(Integer, nullable=False, default=0, server_default="0")
    nps_count = Column(Integer, nullable=False, default=0, server_default="0")
    nps_promoters = Column(Integer, nullable=False, default=0, server_default="0")
    nps_detractors = Column(Integer, nullable=False, default=0, server_default="0")
    # Sentiment of the customer's messages (migration 0007): how many were
    # scored, the sum of their scores (mean = sum / count) and how many were
    # negative; a conversation with a negative message counts as negative.
    sentiment_count = Column(Integer, nullable=False, default=0, server_default="0")
    sentiment_sum = Column(Float, nullable=False, default=0.0, server_default="0")
    negative_messages = Column(Integer, nullable=False, default=0, server_default="0")


# The survey tallies on ``conversations``, in the order of ``survey_tally``.
SURVEY_COUNTERS = (
    "survey_asked", "survey_answered", "resolved_answered", "resolved_yes",
    "csat_count", "csat_sum", "csat_high", "ces_count", "ces_sum", "ces_easy",
    "nps_count", "nps_promoters", "nps_detractors",
)


def survey_tally(kind: str, status: str, score) -> tuple:
    """What one survey row adds to its conversation's tallies (``SURVEY_COUNTERS`` order)."""
    answered = status == ANSWERED
    scored = answered and score is not None

    def band(k: str, good: tuple) -> tuple:
        if not scored or kind != k:
            return (0, 0, 0)
        return (1, score, 1 if in_band(score, good) else 0)

    csat, ces = band(CSAT, CSAT_SATISFIED), band(CES, CES_EASY)
    nps = band(NPS, SCALES[NPS])
    return (
        1,
        1 if answered else 0,
        1 if scored and kind == SURVEY_RESOLVED else 0,
        1 if scored and kind == SURVEY_RESOLVED and score == 1 else 0,
        *csat,
        *ces,
        nps[0],
        1 if nps[0] and in_band(score, NPS_PROMOTERS) else 0,
        1 if nps[0] and in_band(score, NPS_DETRACTORS) else 0,
    )


class ConversationTopic(Base):
    """A topic (intent) seen at least once in a conversation."""

    __tablename__ = "conversation_topics"
    __table_args__ = (
        UniqueConstraint("conversation_id", "topic", name="uq_conversation_topics_pair"),
        Index("ix_conversation_topics_topic", "topic", "conversation_id"),
    )

    id = Column(Integer, primary_key=True)
    conversation_id = Column(
        Integer, _cascade("conversations.id", "fk_conversation_topics_conversation"), nullable=False
    )
    topic = Column(String(80), nullable=False)
    first_seen_at = Column(DateTime, nullable=False)


class Message(Base):
    """One transcript line; ``text`` is PII-masked, then encrypted at rest (cxm_store.encryption)."""

    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_conversation_at", "conversation_id", "at"),)

    id = Column(Integer, primary_key=True)
    conversation_id = Column(
        Integer, _cascade("conversations.id", "fk_messages_conversation"), nullable=False
    )
    at = Column(DateTime, nullable=False)
    sender = Column(String(10), nullable=False)
    text = Column(EncryptedText, nullable=False)
    intent = Column(String(80), nullable=True)
    confidence = Column(Float, nullable=True)
    is_fallback = Column(Boolean, nullable=False, default=False)
    # Customer messages only (cxm_store.sentiment): the likeliest label and
    # P(positive) - P(negative); NULL when not scored.
    sentiment = Column(String(8), nullable=True)
    sentiment_score = Column(Float, nullable=True)


class SurveyAnswer(Base):
    """One survey question put to a customer, and what came back.

    ``score`` is NULL when the customer declined or never answered, and for
    free-text comments.
    """

    __tablename__ = "survey_answers"
    __table_args__ = (
        Index("ix_survey_answers_conversation_kind", "conversation_id", "kind"),
        Index("ix_survey_answers_customer_kind_asked", "customer_id", "kind", "asked_at"),
        # Covers the metrics' survey joins (migration 0005).
        Index(
            "ix_survey_answers_conversation_kind_status_score",
            "conversation_id", "kind", "status", "score",
        ),
    )

    id = Column(Integer, primary_key=True)
    conversation_id = Column(
        Integer, _cascade("conversations.id", "fk_survey_answers_conversation"), nullable=False
    )
    customer_id = Column(
        Integer, _cascade("customers.id", "fk_survey_answers_customer"), nullable=False
    )
    kind = Column(String(10), nullable=False)
    score = Column(Integer, nullable=True)
    comment = Column(EncryptedText, nullable=True)
    status = Column(String(12), nullable=False)
    asked_at = Column(DateTime, nullable=False)
    answered_at = Column(DateTime, nullable=True)
    # The survey_texts version the question was asked in (NULL: the built-in texts).
    text_version = Column(Integer, nullable=True)
    agent = Column(String(80), nullable=True)


# A handoff with a service-level clock still running (cxm_store.service_level_rollups): the
# condition of ix_handoffs_running, written the same in the queries so SQLite uses the index.
HANDOFF_RUNNING = ("status NOT IN ('ticket', 'abandoned') AND (claimed_at IS NULL"
                   " OR first_agent_reply_at IS NULL OR resolved_at IS NULL)")


class Handoff(Base):
    """A request to pass a conversation to a human agent.

    ``status``: ``requested`` (waiting in the queue), ``claimed`` (an agent
    took it), ``resolved``, ``ticket`` (left as a message out of hours), or
    ``abandoned`` (the customer left the queue before an agent took it).
    """

    __tablename__ = "handoffs"
    __table_args__ = (
        Index("ix_handoffs_conversation", "conversation_id"),
        Index("ix_handoffs_status_requested", "status", "requested_at"),
        # The handoffs whose service-level clocks still run (cxm_store.service_level_rollups).
        Index("ix_handoffs_running", "requested_at", sqlite_where=text(HANDOFF_RUNNING),
              postgresql_where=text(HANDOFF_RUNNING)),
    )

    id = Column(Integer, primary_key=True)
    conversation_id = Column(
        Integer, _cascade("conversations.id", "fk_handoffs_conversation"), nullable=False
    )
    reason = Column(String(80), nullable=True)
    requested_at = Column(DateTime, nullable=False)
    claimed_at = Column(DateTime, nullable=True)
    first_agent_reply_at = Column(DateTime, nullable=True)
    resolved_at = Column(DateTime, nullable=True)
    agent = Column(String(80), nullable=True)
    status = Column(String(16), nullable=False, default=REQUESTED)
    # Kept by the console (cxm_store.handoff_notes): agents-only notes and transfers.
    notes_count = Column(Integer, nullable=False, default=0, server_default="0")
    transfers_count = Column(Integer, nullable=False, default=0, server_default="0")


# --- Agent console ---------------------------------------------------------
# Accounts of the people who work the handoff queue, their login sessions, and
# the messages customers leave when nobody can take them.

USER_ROLES = ("agent", "lead", "admin")


class User(Base):
    """A person who signs in to the console (agent, CX lead or admin).

    ``password_hash`` is ``scrypt$n$r$p$salt$hash`` (hex); the password itself
    is never stored. ``available``/``last_seen_at`` tell whether the person can
    take a conversation now (see ``handoffs.agents_online``).
    """

    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("username", name="uq_users_username"),
        CheckConstraint("role IN ('agent', 'lead', 'admin')", name="ck_users_role"),
    )

    id = Column(Integer, primary_key=True)
    username = Column(String(80), nullable=False)
    display_name = Column(String(120), nullable=False)
    password_hash = Column(String(255), nullable=False)
    role = Column(String(10), nullable=False)
    active = Column(Boolean, nullable=False, default=True)
    available = Column(Boolean, nullable=False, default=False)
    last_seen_at = Column(DateTime, nullable=True)
    created_at = Column(DateTime, nullable=False)
    failed_logins = Column(Integer, nullable=False, default=0)
    locked_until = Column(DateTime, nullable=True)


class WebSession(Base):
    """A console login. Only the sha256 of the cookie's token is kept."""

    __tablename__ = "web_sessions"
    __table_args__ = (
        UniqueConstraint("token_sha256", name="uq_web_sessions_token"),
        Index("ix_web_sessions_user", "user_id"),
    )

    id = Column(Integer, primary_key=True)
    token_sha256 = Column(String(64), nullable=False)
    user_id = Column(Integer, _cascade("users.id", "fk_web_sessions_user"), nullable=False)
    csrf_token = Column(String(64), nullable=False)
    created_at = Column(DateTime, nullable=False)
    last_used_at = Column(DateTime, nullable=False)
    expires_at = Column(DateTime, nullable=False)


class HandoffTicket(Base):
    """What a customer left for the team when no agent could take them (a ``ticket`` handoff).

    ``contact`` is kept as given on purpose (it is how the team reaches the
    customer back), encrypted at rest like ``message``, which is also
    PII-masked like every transcript line.
    """

    __tablename__ = "handoff_tickets"
    __table_args__ = (UniqueConstraint("handoff_id", name="uq_handoff_tickets_handoff"),)

    id = Column(Integer, primary_key=True)
    handoff_id = Column(
        Integer, _cascade("handoffs.id", "fk_handoff_tickets_handoff"), nullable=False
    )
    contact = Column(EncryptedText, nullable=False)
    message = Column(EncryptedText, nullable=False)
    created_at = Column(DateTime, nullable=False)


# Tables of the customer journey (links, follow-ups) live in their own module;
# importing it registers them on Base.metadata with the rest.
# The audit log (cxm_store.audit) registers its table on Base.metadata too.
from cxm_store import audit, console_models, journey_models  # noqa: E402,F401 (registers their tables)
