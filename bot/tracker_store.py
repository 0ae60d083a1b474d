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

Why the database work runs on a worker thread: Rasa's SQL store is
synchronous inside ``async`` methods, so every read and write of a turn
held the Rasa process's event loop while the database answered. Under 20
customers the profile of a Rasa server of the scaled topology showed it
blocked on PostgreSQL for about half of its busy time, with the two cores
partly idle; on a worker thread the loop parses and answers other
customers' messages meanwhile. A conversation's turns stay in order: Rasa
holds its lock (in memory or Redis) from the load to the save.
"""
import asyncio
import json
from itertools import islice
from typing import Any, Dict, Iterator, Optional, Text

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY

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
    """``SQLTrackerStore`` whose rows hold events with personal data masked, read and written off the event loop."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Stored events of each conversation being saved, counted once per save.
        self._stored_at_save: Dict[Text, int] = {}

    async def _retrieve(self, sender_id: Text, fetch_events_from_all_sessions: bool) -> Optional[DialogueStateTracker]:
        """Rasa's ``_retrieve``, with the query and the parsing on a worker thread."""
        return await asyncio.to_thread(self._read_tracker, sender_id, fetch_events_from_all_sessions)

    def _read_tracker(self, sender_id: Text, fetch_events_from_all_sessions: bool) -> Optional[DialogueStateTracker]:
        with self.session_scope() as session:
            # Only the JSON column: building an ORM object per row cost more than the query.
            rows = self._event_query(session, sender_id, fetch_events_from_all_sessions).with_entities(
                self.SQLEvent.data
            )
            events = [json.loads(data) for (data,) in rows]
        if not (self.domain and events):
            return None
        return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Rasa's ``save``: publish the new events, then write them masked, counting the stored ones once.

        Rasa counts them in ``stream_events`` (which events to publish) and
        again in ``_additional_events`` (which rows to write): the same
        number, as a turn holds the conversation's lock, by the same query
        over the session's events, twice per message. The count and the
        write run on a worker thread; publishing stays on the event loop,
        where the event broker lives.
        """
        sender_id = tracker.sender_id
        self._stored_at_save[sender_id] = await asyncio.to_thread(self._stored_count, sender_id)
        try:
            await self.stream_events(tracker)
            await asyncio.to_thread(self._write_new_events, tracker)
        finally:
            self._stored_at_save.pop(sender_id, None)

    def _write_new_events(self, tracker: DialogueStateTracker) -> None:
        with self.session_scope() as session:
            for event in self._additional_events(session, tracker):
                data = event.as_dict()
                session.add(
                    self.SQLEvent(
                        sender_id=tracker.sender_id,
                        type_name=event.type_name,
                        timestamp=data.get("timestamp"),
                        intent_name=data.get("parse_data", {}).get(INTENT, {}).get(INTENT_NAME_KEY),
                        action_name=data.get("name"),  # an action's name, as Rasa's own save reads it
                        data=json.dumps(data),
                    )
                )
            session.commit()

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
