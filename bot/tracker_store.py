"""Rasa's SQL tracker store, writing masked copies of the events.

Configured in endpoints.yml (``type: bot.tracker_store.MaskingSQLTrackerStore``)
with the same keys as Rasa's ``SQL`` store. Rasa keeps every event of every
conversation in this store; without masking it would be a second, unmasked
transcript of everything customers typed.

How the dialogue keeps what it needs: during a turn the tracker lives in
memory with the customer's words as typed (the actions see them, and the
event broker, i.e. CX capture, gets them before the save). Only the rows
written at the end of the turn are masked; the next turn reads those back.
Order numbers, intents and entities that carry them survive masking, so
"and INV-2024-00123?" still works turns later; a phone number typed two turns
ago does not, and nothing in the dialogue needs it (a ticket takes its
contact from the message that carries it).
"""
from itertools import islice
from typing import Any, Dict, Iterator, Text

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker

from bot.stored_events import masked_event


class _MaskedRow:
    """What ``SQLTrackerStore.save`` reads of an event (its type and its dict), masked.

    Not an ``Event`` rebuilt from the masked dict: that would round-trip
    every event type through Rasa's parsers, for nothing but the row.
    """

    def __init__(self, event: Event) -> None:
        self.type_name: Text = event.type_name
        self._data = masked_event(event.as_dict())

    def as_dict(self) -> Dict[Text, Any]:
        return self._data


class MaskingSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` whose rows hold events with personal data masked."""

    def _additional_events(self, session, tracker) -> Iterator[_MaskedRow]:  # noqa: ANN001 - Rasa's signature
        # Only ``save`` calls this: the tracker in memory keeps the raw events.
        for event in super()._additional_events(session, tracker):
            yield _MaskedRow(event)

    async def stream_events(self, tracker: DialogueStateTracker) -> None:
        """Publish the events not stored yet, as Rasa does, counting the stored ones instead of reading them.

        Rasa's ``stream_events`` loads the stored conversation again (every
        event since the session started, parsed into a tracker) only to take
        its length: with the load that starts each turn, the tracker was read
        twice per message. Counting the rows is the same offset that
        ``save`` itself uses (``_additional_events``).
        """
        if self.event_broker is None:
            return
        with self.session_scope() as session:
            stored = self._event_query(session, tracker.sender_id, fetch_events_from_all_sessions=False).count()
        await self._stream_new_events(self.event_broker, list(islice(tracker.events, stored, None)), tracker.sender_id)
