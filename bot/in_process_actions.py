"""The ``language`` slot followed inside the Rasa server, without a call to the action server.

The slot's custom mapping (domain.yml: ``action_detect_language``) makes
Rasa's ``action_extract_slots`` call the action server after every customer
message: an HTTP round trip carrying the whole tracker, only to compare the
language the NLU pipeline detected with the slot. Here Rasa runs that
mapping in its own process with the action's own decision
(:func:`actions.language.followed_language`), so the behaviour is the same
and the action server is only called for the actions that do work. Any
other custom mapping still goes to the action server.

Installed by :func:`bot.rasa_server.main` (``make run`` and
``make run-scaled``); a plain ``rasa run`` keeps calling the action server,
which still serves ``action_detect_language``.
"""
from typing import Any, Callable, Dict, List, Text

from rasa.core.actions.action import ActionExtractSlots
from rasa.shared.core.events import Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from actions.language import followed_language
from contract.dialogue import ACTION_DETECT_LANGUAGE, LANGUAGE_SLOT


def follow_language(tracker: DialogueStateTracker) -> List[Event]:
    """What ``action_detect_language`` returns, computed from Rasa's own tracker."""
    customer_messages = [e for e in tracker.events if isinstance(e, UserUttered)]
    latest = tracker.latest_message.parse_data if tracker.latest_message else {}
    wanted = followed_language(
        latest, tracker.get_slot(LANGUAGE_SLOT), (e.parse_data for e in customer_messages[:-1])
    )
    return [SlotSet(LANGUAGE_SLOT, wanted)] if wanted else []


IN_PROCESS: Dict[Text, Callable[[DialogueStateTracker], List[Event]]] = {
    ACTION_DETECT_LANGUAGE: follow_language,
}


def run_slot_mappings_in_process() -> None:
    """Make Rasa's ``action_extract_slots`` run the mappings of :data:`IN_PROCESS` itself."""
    remote = ActionExtractSlots._run_custom_action
    if getattr(remote, "in_process", False):
        return

    async def run_custom_action(
        self: ActionExtractSlots, custom_action: Text, output_channel: Any, nlg: Any,
        tracker: DialogueStateTracker, domain: Any,
    ) -> List[Event]:
        local = IN_PROCESS.get(custom_action)
        if local is not None:
            return local(tracker)
        return await remote(self, custom_action, output_channel, nlg, tracker, domain)

    run_custom_action.in_process = True  # type: ignore[attr-defined]
    ActionExtractSlots._run_custom_action = run_custom_action
