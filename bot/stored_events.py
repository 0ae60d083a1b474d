"""What a Rasa event may hold once it is written outside the turn that made it.

Inside a turn the dialogue reads the customer's words as typed (an order
number, a phone number left for a ticket). Whatever outlives the turn (the
tracker store's rows, capture's spool and rejected files, the broker's
rejected queue) is a copy kept for the next turn or for someone to look into,
so its free text is masked like a transcript (``cxm_store.pii.mask_record``):
order and tracking numbers, intents and entities that carry them stay, phone
numbers, NIKs, e-mails and profile names (Telegram's username) go.

What crosses RabbitMQ to the capture consumer (the scaled topology) is such a
copy too (:func:`queued_event`): the consumer stores transcripts masked
anyway, and a queue is read by whoever has access to the broker.
"""
import copy
from typing import Any, Dict

from contract.dialogue import HANDOFF_TICKET_SLOT
from cxm_store.encryption import decrypt, encrypt, keyring
from cxm_store.pii import mask_pii, mask_record

# The slot whose ``contact`` is how the team answers a ticket (actions/handoff.py).
TICKET_SLOT = HANDOFF_TICKET_SLOT


def masked_event(event: Dict[str, Any]) -> Dict[str, Any]:
    """A copy of a Rasa event (``Event.as_dict()``) with every free-text value masked."""
    return mask_record(event)


def spooled_event(event: Dict[str, Any]) -> Dict[str, Any]:
    """The masked copy capture keeps on disk until the CX store has the event.

    A ticket's contact stays as typed: replayed after a crash, the event must
    still leave the team a way to reach the customer, as the store keeps it.
    The spool is emptied as soon as nothing is pending, and erasure scrubs it.
    """
    masked = masked_event(event)
    value = event.get("value")
    if event.get("event") == "slot" and event.get("name") == TICKET_SLOT and isinstance(value, dict):
        masked["value"] = {**masked["value"], "contact": copy.copy(value.get("contact"))}
    return masked


def _is_ticket(event: Dict[str, Any]) -> bool:
    return event.get("event") == "slot" and event.get("name") == TICKET_SLOT and isinstance(event.get("value"), dict)


def queued_event(event: Dict[str, Any]) -> Dict[str, Any]:
    """The copy of a Rasa event that Rasa publishes to RabbitMQ for the capture consumer.

    Masked like the tracker store's rows, except that a bot or agent reply is
    masked as staff writing (the agent's own name stays, as in the store).
    A ticket's contact, which the team needs to answer, crosses encrypted
    with the data key (``CXM_DATA_KEYS``); without a key it is masked, and the
    ticket reaches the store without a way to answer it.
    """
    queued = masked_event(event)
    if event.get("event") == "bot" and isinstance(event.get("text"), str):
        queued["text"] = mask_pii(event["text"], written_by_staff=True)
    if _is_ticket(event) and keyring()[0] is not None:
        queued["value"] = {**queued["value"], "contact": encrypt(event["value"].get("contact"))}
    return queued


def received_event(event: Dict[str, Any]) -> Dict[str, Any]:
    """An event as the capture consumer applies it: the ticket's contact decrypted.

    Raises:
        UnreadableData: The contact was encrypted with a key the consumer does not hold.
    """
    if not _is_ticket(event) or not isinstance(event["value"].get("contact"), str):
        return event
    return {**event, "value": {**event["value"], "contact": decrypt(event["value"]["contact"])}}
