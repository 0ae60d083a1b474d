"""Helpers for the action tests: run an action, and build what Rasa sends or records.

(A module of its own rather than conftest.py, so test modules can import it
without clashing with tests/store/conftest.py.)
"""
import asyncio
import datetime as dt
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

# The store's "today" for the demo orders: an August date, so the expected
# eta strings show the Indonesian month abbreviation ("Agu") and cross a month.
TODAY = dt.date(2026, 8, 29)


def run_action(
    action: Action,
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    domain: Dict[str, Any],
) -> List[Dict[str, Any]]:
    """Run an (async) action to completion and return its events."""
    return asyncio.run(action.run(dispatcher, tracker, domain))


def message(
    response: str, buttons: Optional[List[Dict[str, str]]] = None, **kwargs: Any
) -> Dict[str, Any]:
    """The exact dict ``CollectingDispatcher.utter_message(response=...)`` records."""
    return {
        "text": None,
        "buttons": buttons or [],
        "elements": [],
        "custom": {},
        "template": response,
        "response": response,
        "image": None,
        "attachment": None,
        **kwargs,
    }


def parse_data(
    text: str,
    intent: Optional[str] = None,
    confidence: float = 0.95,
    entities: Optional[List[Dict[str, Any]]] = None,
    language: Optional[str] = None,
    **extra: Any,
) -> Dict[str, Any]:
    """A latest_message as Rasa 3.6 sends it to the action server."""
    data: Dict[str, Any] = {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "entities": entities or [],
        "message_id": "0f1e2d3c",
        "metadata": {},
    }
    if language is not None:
        data["language"] = language
    data.update(extra)
    return data


def order_entity(text: str, value: str) -> Dict[str, Any]:
    """An ``order_id`` entity as the RegexEntityExtractor reports it."""
    start = text.index(value)
    return {
        "entity": "order_id",
        "start": start,
        "end": start + len(value),
        "value": value,
        "extractor": "RegexEntityExtractor",
    }
