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
from typing import Any, Dict, Iterator, Optional, Text

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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Stored events of each conversation being saved, counted once per save.
        self._stored_at_save: Dict[Text, int] = {}

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Rasa's ``save``, counting the conversation's stored events once.

        Rasa counts them in ``stream_events`` (which events to publish) and
        again in ``_additional_events`` (which rows to write): the same
        number, as a turn holds the conversation's lock, by the same query
        over the session's events, twice per message.
        """
        self._stored_at_save[tracker.sender_id] = self._stored_count(tracker.sender_id)
        try:
            await super().save(tracker)
        finally:
            self._stored_at_save.pop(tracker.sender_id, None)

    def _stored_count(self, sender_id: Text) -> int:
        """Events of the conversation's latest session in the store (as counted for this save)."""
        counted: Optional[int] = self._stored_at_save.get(sender_id)
        if counted is None:
            with self.session_scope() as session:
                counted = self._event_query(session, sender_id, fetch_events_from_all_sessions=False).count()
        return counted

    def _additional_events(self, session, tracker) -> Iterator[_MaskedRow]:  # noqa: ANN001 - Rasa's signature
        # Only ``save`` calls this: the tracker in memory keeps the raw events.
        for event in islice(tracker.events, self._stored_count(tracker.sender_id), None):
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
        stored = self._stored_count(tracker.sender_id)
        await self._stream_new_events(self.event_broker, list(islice(tracker.events, stored, None)), tracker.sender_id)
