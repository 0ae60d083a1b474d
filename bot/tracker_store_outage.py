"""While the tracker store cannot be reached, messages are refused (503), not answered from a blank conversation.

Rasa 3.6 wraps every tracker store in ``FailSafeTrackerStore``: when the
store fails, ``retrieve`` returns None, so Rasa starts the customer's
conversation afresh (context, reply language, an open survey forgotten),
and ``save`` keeps the tracker in this one process's memory and publishes
the whole conversation to the event broker a second time. Seen in the fault
test (tests/scaled/) with PostgreSQL cut for 10 s: customers were answered
as strangers, in the default language. Here an unreachable store
(:func:`bot.capture.store_unavailable`) makes the turn fail instead, and the
channel refuses the message with ``503`` and ``Retry-After``
(:mod:`bot.channels.retryable`); other errors keep Rasa's fallback.

Installed by :func:`bot.rasa_server.main`.
"""
from inspect import isawaitable
from typing import Any, Awaitable, Callable, Optional, Text

from rasa.core.tracker_store import FailSafeTrackerStore, TrackerStore
from rasa.shared.core.trackers import DialogueStateTracker

from bot.capture import store_unavailable


async def _primary_or(
    store: FailSafeTrackerStore, call: Callable[[TrackerStore], Awaitable[Any]], fallback: Callable[[Exception], Any]
) -> Any:
    """``call`` on the primary store; an outage raises, any other error goes to Rasa's ``fallback``."""
    try:
        return await call(store._tracker_store)
    except Exception as error:  # noqa: BLE001 - Rasa's fallback for what is not an outage
        if store_unavailable(error):
            raise
        result = fallback(error)
        return await result if isawaitable(result) else result


async def _retrieve(self: FailSafeTrackerStore, sender_id: Text) -> Optional[DialogueStateTracker]:
    return await _primary_or(self, lambda primary: primary.retrieve(sender_id), self.on_tracker_store_retrieve_error)


async def _retrieve_full_tracker(self: FailSafeTrackerStore, sender_id: Text) -> Optional[DialogueStateTracker]:
    return await _primary_or(
        self, lambda primary: primary.retrieve_full_tracker(sender_id), self.on_tracker_store_retrieve_error
    )


async def _save(self: FailSafeTrackerStore, tracker: DialogueStateTracker) -> None:
    def in_memory(error: Exception) -> Awaitable[None]:
        self.on_tracker_store_error(error)
        return self.fallback_tracker_store.save(tracker)

    await _primary_or(self, lambda primary: primary.save(tracker), in_memory)


def refuse_turns_while_tracker_store_down() -> None:
    """Make Rasa's fail-safe tracker store raise when its store is unreachable."""
    FailSafeTrackerStore.retrieve = _retrieve
    FailSafeTrackerStore.retrieve_full_tracker = _retrieve_full_tracker
    FailSafeTrackerStore.save = _save
