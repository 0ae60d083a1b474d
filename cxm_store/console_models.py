"""Tables of the agent console's working tools (migration 0009).

Kept apart from :mod:`cxm_store.models` so the touchpoint tables stay readable;
``models`` imports this module, so every table is on the same metadata.
"""
from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint

from cxm_store.db import Base


class CannedResponse(Base):
    """A ready answer in one language, inserted by agents with ``/`` + ``shortcut``."""

    __tablename__ = "canned_responses"
    __table_args__ = (UniqueConstraint("shortcut", "language", name="uq_canned_shortcut_language"),)

    id = Column(Integer, primary_key=True)
    shortcut = Column(String(40), nullable=False)
    language = Column(String(8), nullable=False)
    title = Column(String(120), nullable=False)
    text = Column(Text, nullable=False)
    updated_by = Column(String(80), nullable=False)
    updated_at = Column(DateTime, nullable=False)


class HandoffNote(Base):
    """An agents-only line on a conversation: a note, or a transfer (with its note).

    Never sent to the customer. ``to_agent`` NULL on a transfer means back to the queue.
    """

    __tablename__ = "handoff_notes"
    __table_args__ = (Index("ix_handoff_notes_conversation", "conversation_id", "at"),)

    id = Column(Integer, primary_key=True)
    handoff_id = Column(
        Integer, ForeignKey("handoffs.id", ondelete="CASCADE", name="fk_handoff_notes_handoff"), nullable=False
    )
    conversation_id = Column(
        Integer,
        ForeignKey("conversations.id", ondelete="CASCADE", name="fk_handoff_notes_conversation"),
        nullable=False,
    )
    at = Column(DateTime, nullable=False)
    kind = Column(String(10), nullable=False)
    author = Column(String(80), nullable=False)
    text = Column(Text, nullable=False)
    from_agent = Column(String(80), nullable=True)
    to_agent = Column(String(80), nullable=True)


class CustomerImage(Base):
    """A picture a customer sent, stored re-encoded without metadata at ``path``."""

    __tablename__ = "customer_images"
    __table_args__ = (Index("ix_customer_images_conversation", "conversation_id"),)

    id = Column(Integer, primary_key=True)
    conversation_id = Column(
        Integer,
        ForeignKey("conversations.id", ondelete="CASCADE", name="fk_customer_images_conversation"),
        nullable=False,
    )
    customer_id = Column(
        Integer, ForeignKey("customers.id", ondelete="CASCADE", name="fk_customer_images_customer"), nullable=False
    )
    at = Column(DateTime, nullable=False)
    content_type = Column(String(20), nullable=False)
    size_bytes = Column(Integer, nullable=False)
    width = Column(Integer, nullable=False)
    height = Column(Integer, nullable=False)
    path = Column(String(200), nullable=False)
    claim_topic = Column(String(40), nullable=True)


class SurveyText(Base):
    """One version of a survey question and its buttons in one language, as a lead wrote it."""

    __tablename__ = "survey_texts"
    __table_args__ = (UniqueConstraint("kind", "language", "version", name="uq_survey_texts_version"),)

    id = Column(Integer, primary_key=True)
    version = Column(Integer, nullable=False)
    kind = Column(String(16), nullable=False)
    language = Column(String(8), nullable=False)
    question = Column(Text, nullable=False)
    buttons = Column(Text, nullable=False)  # JSON list of {"title", "payload"}
    updated_by = Column(String(80), nullable=False)
    updated_at = Column(DateTime, nullable=False)


# Every survey answer carries the wording version it was asked in, whichever
# write path stores it (models imports this module last, so these exist).
from sqlalchemy import event, select  # noqa: E402

from cxm_store.models import Conversation, SurveyAnswer  # noqa: E402


@event.listens_for(SurveyAnswer, "before_insert")
def _stamp_wording_version(_mapper: object, connection: object, answer: SurveyAnswer) -> None:
    from cxm_store.survey_texts import version_in_force

    if answer.text_version is None and answer.asked_at is not None:
        language = connection.execute(
            select(Conversation.language).where(Conversation.id == answer.conversation_id)
        ).scalar()
        answer.text_version = version_in_force(connection, answer.kind, language, answer.asked_at)
