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
blocked on PostgreSQL for about half of its busy time; on a worker thread
the loop parses and answers other customers' messages meanwhile. Measured,
that is a few ms a reply on ``make run`` and nothing on the scaled
topology, whose two cores are busy anyway (README, issue 13's figures).
A conversation's turns stay in order: Rasa
holds its lock (in memory or Redis) from the load to the save.
"""
import asyncio
import json
from contextvars import ContextVar
from itertools import islice
from typing import Any, List, Optional, Text, Tuple

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY

from bot.stored_events import masked_event

# (sender id, events of its latest session) as the turn being handled read
# them. A turn holds the conversation's lock from that read to its save, so
# nothing was stored in between and the save starts its new events there
# instead of counting the rows again. One context per Sanic request task: a
# save in any other context, or a second save, counts.
_READ_THIS_TURN: ContextVar[Optional[Tuple[Text, int]]] = ContextVar("read_this_turn", default=None)


class MaskingSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` whose rows hold events with personal data masked, read and written off the event loop."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Rasa builds its engine without ``pool_pre_ping``: after a database
        # outage a connection left idle in the pool failed the first message
        # that took it (a 503 in the fault test, 8 s after PostgreSQL was
        # back, on a Rasa server that had no traffic during the cut). The
        # pool's own setting, as ``create_engine(pool_pre_ping=True)`` sets it;
        # then a new pool, since SQLAlchemy never pings a connection it counts
        # as fresh, which the one Rasa opened to create its tables still was.
        self.engine.pool._pre_ping = True
        self.engine.dispose()

    async def _retrieve(self, sender_id: Text, fetch_events_from_all_sessions: bool) -> Optional[DialogueStateTracker]:
        """Rasa's ``_retrieve``, with the query and the parsing on a worker thread."""
        tracker, stored = await asyncio.to_thread(self._read_tracker, sender_id, fetch_events_from_all_sessions)
        if not fetch_events_from_all_sessions:
            _READ_THIS_TURN.set((sender_id, stored))
        return tracker

    def _read_tracker(
        self, sender_id: Text, fetch_events_from_all_sessions: bool
    ) -> Tuple[Optional[DialogueStateTracker], int]:
        """The stored conversation, and how many events were read."""
        with self.session_scope() as session:
            # Only the JSON column: building an ORM object per row cost more than the query.
            rows = self._event_query(session, sender_id, fetch_events_from_all_sessions).with_entities(
                self.SQLEvent.data
            )
            events = [json.loads(data) for (data,) in rows]
        if not (self.domain and events):
            return None, len(events)
        return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots), len(events)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Publish the events not stored yet, as Rasa does, then store them masked.

        Rasa's own ``save`` finds those events twice: ``stream_events`` loads
        the stored conversation again (every event since the session started,
        parsed into a tracker) only to take its length, and
        ``_additional_events`` counts the rows. The same offset, as a turn
        holds the conversation's lock, is taken once here: from the turn's
        own read when it read this conversation, else counted. The count and
        the write run on a worker thread; publishing stays on the event loop,
        where the event broker lives.
        """
        read = _READ_THIS_TURN.get()
        _READ_THIS_TURN.set(None)
        if read is not None and read[0] == tracker.sender_id:
            stored = read[1]
        else:
            stored = await asyncio.to_thread(self._stored_count, tracker.sender_id)
        new_events = list(islice(tracker.events, stored, None))
        if self.event_broker is not None:
            await self._stream_new_events(self.event_broker, new_events, tracker.sender_id)
        await asyncio.to_thread(self._write_masked, tracker.sender_id, new_events)

    def _stored_count(self, sender_id: Text) -> int:
        """Events of the conversation's latest session in the store."""
        with self.session_scope() as session:
            return self._event_query(session, sender_id, fetch_events_from_all_sessions=False).count()

    def _write_masked(self, sender_id: Text, events: List[Event]) -> None:
        # The tracker in memory keeps the raw events; only the rows are masked.
        with self.session_scope() as session:
            for event in events:
                data = masked_event(event.as_dict())
                session.add(
                    self.SQLEvent(
                        sender_id=sender_id,
                        type_name=event.type_name,
                        timestamp=data.get("timestamp"),
                        intent_name=data.get("parse_data", {}).get(INTENT, {}).get(INTENT_NAME_KEY),
                        action_name=data.get("name"),  # an action's name, as Rasa's own save reads it
                        data=json.dumps(data),
                    )
                )
            session.commit()
