"""Pictures customers sent, kept with their conversation (and claim), erasable per customer.

The channel has already checked and cleaned the picture (:mod:`bot.channels.photos`:
size, type by content, metadata stripped); here it is written under
``CXM_IMAGE_DIR`` (default ``var/images``) with a random name, recorded in
``customer_images``, and shown in the transcript as a customer line
``[photo]`` followed by the thanks the customer got. A photo that arrives in
a conversation about a damaged or wrong item is marked with that claim topic.

Erasure: :func:`erase_customer_images` removes a customer's files and rows
(the retention and erasure commands call it); rows also go with their
conversation or customer (``ON DELETE CASCADE``), and
:func:`remove_orphan_files` deletes any file no row points to any more.
"""
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

from sqlalchemy import delete, select
from sqlalchemy.engine import Engine

from contract.vocabulary import CLAIMED, REQUESTED
from cxm_store import settings
from cxm_store.channels import store_channel
from cxm_store.console_models import CustomerImage
from cxm_store.db import session_factory, utc_naive
from cxm_store.models import Conversation, ConversationTopic, Handoff
from cxm_store.touchpoints import record_bot_message, record_customer_message

CLAIM_TOPICS = ("faq/item_damaged", "faq/wrong_item")
PHOTO_LINE = "[photo]"
EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}


def image_dir() -> Path:
    """Where picture files live (``CXM_IMAGE_DIR``, default ``var/images``)."""
    return Path(settings.load().image_dir)


@dataclass(frozen=True)
class StoredImage:
    """A kept picture: where its file is and whose conversation it belongs to."""

    id: int
    conversation_id: int
    at: datetime
    content_type: str
    size_bytes: int
    width: int
    height: int
    claim_topic: Optional[str]
    path: Path


def _claim_topic(session: Any, conversation_id: int) -> Optional[str]:
    return session.scalar(
        select(ConversationTopic.topic)
        .where(ConversationTopic.conversation_id == conversation_id, ConversationTopic.topic.in_(CLAIM_TOPICS))
        .order_by(ConversationTopic.first_seen_at.desc())
        .limit(1)
    )


def save_image(conversation_id: int, photo: Any, at: datetime, engine: Engine = None) -> StoredImage:
    """Write a cleaned photo (``data``, ``content_type``, ``width``, ``height``) for a conversation."""
    folder = image_dir()
    folder.mkdir(parents=True, exist_ok=True)
    name = secrets.token_hex(16) + EXTENSIONS.get(photo.content_type, ".img")
    (folder / name).write_bytes(photo.data)
    with session_factory(engine)() as session, session.begin():
        conversation = session.get(Conversation, conversation_id)
        if conversation is None:
            (folder / name).unlink(missing_ok=True)
            raise LookupError(f"no conversation {conversation_id}")
        row = CustomerImage(
            conversation_id=conversation_id, customer_id=conversation.customer_id, at=utc_naive(at),
            content_type=photo.content_type, size_bytes=len(photo.data), width=photo.width,
            height=photo.height, path=name, claim_topic=_claim_topic(session, conversation_id),
        )
        session.add(row)
        session.flush()
        return _view(row, folder)


def _view(row: CustomerImage, folder: Path) -> StoredImage:
    return StoredImage(
        row.id, row.conversation_id, row.at, row.content_type, row.size_bytes, row.width, row.height,
        row.claim_topic, folder / row.path,
    )


def receive_photo(
    bot_channel: str, sender_id: str, photo: Any, at: datetime,
    thanks: Callable[[Optional[str], bool, bool], str], language: Optional[str] = None, engine: Engine = None,
) -> Dict[str, Any]:
    """The channels' image sink: keep the photo in the customer's conversation and thank them.

    Args:
        bot_channel: The bot's input channel (``webchat``, ``telegram``).
        sender_id: The customer's sender id on it.
        photo: The cleaned photo (``data``, ``content_type``, ``width``, ``height``).
        at: When it arrived.
        thanks: ``thanks(language, for_claim, team_on_it)``: the channel's words of thanks
            (``team_on_it``: an agent has the conversation, or it waits in the queue for one).
        language: The language the bot answers the customer in; None: the conversation's stored one.
        engine: Store engine (default: the configured one).

    Returns:
        ``{"image_id", "conversation_id", "language", "for_claim", "team_on_it", "thanks"}``.
    """
    conversation_id = record_customer_message(
        store_channel(bot_channel), sender_id, PHOTO_LINE, at, None, engine=engine
    )
    stored = save_image(conversation_id, photo, at, engine=engine)
    with session_factory(engine)() as session:
        if language is None:
            language = session.scalar(select(Conversation.language).where(Conversation.id == conversation_id))
        team_on_it = session.scalar(
            select(Handoff.id)
            .where(Handoff.conversation_id == conversation_id, Handoff.status.in_((REQUESTED, CLAIMED)))
            .limit(1)
        ) is not None
    for_claim = stored.claim_topic is not None
    text = thanks(language, for_claim, team_on_it)
    record_bot_message(conversation_id, text, at, engine=engine)
    return {
        "image_id": stored.id, "conversation_id": conversation_id, "language": language,
        "for_claim": for_claim, "team_on_it": team_on_it, "thanks": text,
    }


def conversation_images(conversation_id: int, engine: Engine = None) -> List[Dict]:
    """The pictures of a conversation, oldest first (no file contents).

    A picture sent before the customer said what was wrong ("[photo]", then
    "it arrived broken") belongs to the claim they opened after it.
    """
    with session_factory(engine)() as session:
        rows = session.scalars(
            select(CustomerImage).where(CustomerImage.conversation_id == conversation_id).order_by(CustomerImage.at)
        ).all()
        later_claim = _claim_topic(session, conversation_id) if any(r.claim_topic is None for r in rows) else None
        return [
            {"id": r.id, "at": r.at, "content_type": r.content_type, "size_bytes": r.size_bytes,
             "width": r.width, "height": r.height, "claim_topic": r.claim_topic or later_claim}
            for r in rows
        ]


def get_image(image_id: int, engine: Engine = None) -> StoredImage:
    """One picture (LookupError if none)."""
    with session_factory(engine)() as session:
        row = session.get(CustomerImage, image_id)
        if row is None:
            raise LookupError(f"no image {image_id}")
        return _view(row, image_dir())


def erase_customer_images(customer_id: int, engine: Engine = None) -> int:
    """Delete every picture of a customer, files and rows; return how many."""
    folder = image_dir()
    with session_factory(engine)() as session, session.begin():
        names = list(session.scalars(select(CustomerImage.path).where(CustomerImage.customer_id == customer_id)))
        session.execute(delete(CustomerImage).where(CustomerImage.customer_id == customer_id))
    for name in names:
        (folder / name).unlink(missing_ok=True)
    return len(names)


def remove_orphan_files(engine: Engine = None) -> int:
    """Delete files no row points to (their conversation or customer was deleted); return how many."""
    folder = image_dir()
    if not folder.exists():
        return 0
    with session_factory(engine)() as session:
        kept = set(session.scalars(select(CustomerImage.path)))
    orphans = [path for path in folder.iterdir() if path.is_file() and path.name not in kept]
    for path in orphans:
        path.unlink(missing_ok=True)
    return len(orphans)
