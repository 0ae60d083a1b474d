"""What a Rasa event may hold once it is written outside the turn that made it.

Inside a turn the dialogue reads the customer's words as typed (an order
number, a phone number left for a ticket). Whatever outlives the turn (the
tracker store's rows, capture's spool and rejected files, the broker's
rejected queue) is a copy kept for the next turn or for someone to look into,
so its free text is masked like a transcript (``cxm_store.pii.mask_record``):
order and tracking numbers, intents and entities that carry them stay, phone
numbers, NIKs, e-mails and profile names (Telegram's username) go.
"""
import copy
from typing import Any, Dict

from contract.dialogue import HANDOFF_TICKET_SLOT
from cxm_store.pii import mask_record

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
