"""Tables of one customer across channels and of the closed loop (migration 0008)."""
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)

from contract.vocabulary import CSAT, NPS
from cxm_store.db import Base
from cxm_store.models import _cascade

LINK_PROOFS = ("order", "code")
FOLLOW_UP_REASONS = (CSAT, NPS, "unresolved", "negative")
FOLLOW_UP_OUTCOMES = ("reached", "resolved", "unreachable")


class OrderProof(Base):
    """A channel identity named an order together with the contact on it."""

    __tablename__ = "order_proofs"
    __table_args__ = (
        UniqueConstraint("order_id", "channel", "external_id", name="uq_order_proofs_identity"),
    )

    id = Column(Integer, primary_key=True)
    order_id = Column(String(20), nullable=False)
    customer_id = Column(
        Integer, _cascade("customers.id", "fk_order_proofs_customer"), nullable=False
    )
    channel = Column(String(20), nullable=False)
    external_id = Column(String(128), nullable=False)
    proved_at = Column(DateTime, nullable=False)


class LinkCode(Base):
    """A one-time code shown on a channel the customer uses, to be typed on another.

    Only the code's sha256 is kept: whoever reads the table cannot link.
    """

    __tablename__ = "link_codes"
    __table_args__ = (UniqueConstraint("code_sha256", name="uq_link_codes_code"),)

    id = Column(Integer, primary_key=True)
    customer_id = Column(Integer, _cascade("customers.id", "fk_link_codes_customer"), nullable=False)
    channel = Column(String(20), nullable=False)
    external_id = Column(String(128), nullable=False)
    code_sha256 = Column(String(64), nullable=False)
    created_at = Column(DateTime, nullable=False)
    expires_at = Column(DateTime, nullable=False)
    used_at = Column(DateTime, nullable=True)


class LinkAttempt(Base):
    """A code typed by a channel identity; failures are rate-limited (guessing)."""

    __tablename__ = "link_attempts"
    __table_args__ = (Index("ix_link_attempts_identity_at", "channel", "external_id", "at"),)

    id = Column(Integer, primary_key=True)
    channel = Column(String(20), nullable=False)
    external_id = Column(String(128), nullable=False)
    at = Column(DateTime, nullable=False)
    succeeded = Column(Boolean, nullable=False)


class CustomerLink(Base):
    """The record of one merge: who was absorbed into whom, on which proof."""

    __tablename__ = "customer_links"
    __table_args__ = (
        CheckConstraint("proof IN ('order', 'code')", name="ck_customer_links_proof"),
        Index("ix_customer_links_customer", "customer_id"),
    )

    id = Column(Integer, primary_key=True)
    customer_id = Column(
        Integer, _cascade("customers.id", "fk_customer_links_customer"), nullable=False
    )
    merged_customer_id = Column(Integer, nullable=False)
    proof = Column(String(10), nullable=False)
    # The order number for an order proof; the code's channel for a code.
    evidence = Column(String(80), nullable=True)
    # The identity that gave the proof.
    channel = Column(String(20), nullable=False)
    external_id = Column(String(128), nullable=False)
    linked_at = Column(DateTime, nullable=False)


class FollowUp(Base):
    """An unhappy customer someone must get back to, until it is closed.

    Opened once per conversation (the first trigger wins: ``csat`` 1-2,
    ``nps`` 0-6, ``unresolved``, ``negative`` sentiment); open while
    ``closed_at`` is NULL; ``outcome`` says how it ended.
    """

    __tablename__ = "follow_ups"
    __table_args__ = (
        UniqueConstraint("conversation_id", name="uq_follow_ups_conversation"),
        CheckConstraint(
            "reason IN ('csat', 'nps', 'unresolved', 'negative')", name="ck_follow_ups_reason"
        ),
        CheckConstraint(
            "outcome IS NULL OR outcome IN ('reached', 'resolved', 'unreachable')",
            name="ck_follow_ups_outcome",
        ),
        Index("ix_follow_ups_open_due", "closed_at", "due_at"),
        Index("ix_follow_ups_opened", "opened_at"),
        Index("ix_follow_ups_customer", "customer_id"),
    )

    id = Column(Integer, primary_key=True)
    conversation_id = Column(
        Integer, _cascade("conversations.id", "fk_follow_ups_conversation"), nullable=False
    )
    customer_id = Column(Integer, _cascade("customers.id", "fk_follow_ups_customer"), nullable=False)
    reason = Column(String(12), nullable=False)
    score = Column(Integer, nullable=True)
    opened_at = Column(DateTime, nullable=False)
    due_at = Column(DateTime, nullable=False)
    owner = Column(String(80), nullable=True)
    closed_at = Column(DateTime, nullable=True)
    outcome = Column(String(12), nullable=True)
    closed_by = Column(String(80), nullable=True)


class FollowUpNote(Base):
    """What the owner wrote while working a follow-up."""

    __tablename__ = "follow_up_notes"
    __table_args__ = (Index("ix_follow_up_notes_follow_up", "follow_up_id"),)

    id = Column(Integer, primary_key=True)
    follow_up_id = Column(
        Integer, _cascade("follow_ups.id", "fk_follow_up_notes_follow_up"), nullable=False
    )
    author = Column(String(80), nullable=False)
    at = Column(DateTime, nullable=False)
    text = Column(Text, nullable=False)
