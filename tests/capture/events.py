"""Rasa tracker events as the broker receives them, shaped like those of a real run.

``data/rest_session_id.json`` is a real REST session (six Indonesian turns,
read from ``GET /conversations/<id>/tracker``, with ``sender_id`` added as
``TrackerStore._stream_new_events`` does; long response texts trimmed). The
builders below make the same shapes for the turns a test needs.
"""
import json
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional

REAL_SESSION = Path(__file__).parent / "data" / "rest_session_id.json"
META = {"model_id": "13691096cd94465baac95e13a6cfac7f", "assistant_id": "serambi-cx"}

Event = Dict[str, Any]


def real_session() -> List[Event]:
    return json.loads(REAL_SESSION.read_text())


def ts(moment: datetime) -> float:
    return moment.replace(tzinfo=timezone.utc).timestamp()


def user(
    sender: str,
    text: str,
    at: datetime,
    intent: str,
    confidence: float = 0.98,
    language: Optional[str] = "id",
    channel: str = "rest",
) -> Event:
    """A ``user`` event; ``intent`` ``faq/returns`` becomes intent faq + response selector key."""
    name, _, sub = intent.partition("/")
    parse_data: Event = {
        "intent": {"name": name, "confidence": confidence},
        "entities": [],
        "text": text,
        "message_id": uuid.uuid4().hex,
        "metadata": {},
        "text_tokens": [[0, len(text)]],
        "intent_ranking": [{"name": name, "confidence": confidence}],
        "response_selector": {
            "all_retrieval_intents": ["faq"],
            "faq": {
                "response": {
                    "confidence": 0.9 if sub else 0.1,
                    "intent_response_key": intent if sub else "faq/payment_methods",
                    "utter_action": f"utter_{intent}" if sub else "utter_faq/payment_methods",
                },
                "ranking": [],
            },
        },
    }
    if sub:
        parse_data["intent"]["full_retrieval_intent_name"] = intent
    if language is not None:
        parse_data["language"] = language
    return {
        "sender_id": sender,
        "event": "user",
        "timestamp": ts(at),
        "metadata": dict(META),
        "text": text,
        "parse_data": parse_data,
        "input_channel": channel,
        "message_id": parse_data["message_id"],
    }


def bot(sender: str, text: str, at: datetime, utter: str = "utter_x", agent: str = None) -> Event:
    metadata = {
        "condition": [{"type": "slot", "name": "language", "value": "id"}],
        "utter_action": utter,
        **META,
    }
    if agent:
        metadata = {"agent": agent}
    return {
        "sender_id": sender,
        "event": "bot",
        "timestamp": ts(at),
        "metadata": metadata,
        "text": text,
        "data": {"elements": None, "quick_replies": None, "buttons": None, "attachment": None,
                 "image": None, "custom": None},
    }


def slot(sender: str, name: str, value: Any, at: datetime) -> Event:
    return {"sender_id": sender, "event": "slot", "timestamp": ts(at), "metadata": dict(META),
            "name": name, "value": value}


def action(sender: str, name: str, at: datetime) -> Event:
    return {"sender_id": sender, "event": "action", "timestamp": ts(at), "metadata": dict(META),
            "name": name, "policy": "RulePolicy", "confidence": 1.0, "action_text": None,
            "hide_rule_turn": True}


def session_start(sender: str, at: datetime) -> List[Event]:
    t = ts(at)
    return [
        {"sender_id": sender, "event": "action", "timestamp": t, "metadata": dict(META),
         "name": "action_session_start", "policy": None, "confidence": 1.0,
         "action_text": None, "hide_rule_turn": False},
        {"sender_id": sender, "event": "session_started", "timestamp": t, "metadata": dict(META)},
        action(sender, "action_listen", at),
    ]
