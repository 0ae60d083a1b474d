"""A custom action whose server cannot be reached: the customer gets an apology in their language, not silence."""
import asyncio
from pathlib import Path

import pytest
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.action_outage import APOLOGY, apologise_for_failed_actions

DOMAIN = Domain.load(str(Path(__file__).resolve().parents[1] / "domain.yml"))
NOBODY_LISTENS = EndpointConfig("http://127.0.0.1:9/webhook")


@pytest.fixture
def apologising(monkeypatch):
    monkeypatch.setattr(RemoteAction, "run", RemoteAction.run)  # undone after the test
    apologise_for_failed_actions()


def run(action: RemoteAction, language: str):
    tracker = DialogueStateTracker.from_events(
        "outage-1", [SlotSet("language", language), UserUttered("cek pesanan INV-2024-00123")], slots=DOMAIN.slots
    )
    return asyncio.run(action.run(
        CollectingOutputChannel(), TemplatedNaturalLanguageGenerator(DOMAIN.responses), tracker, DOMAIN
    ))


@pytest.mark.parametrize("language", ["id", "en"])
def test_an_unreachable_action_server_gets_an_apology_in_the_customers_language(apologising, language):
    events = run(RemoteAction("action_check_order_status", NOBODY_LISTENS), language)
    assert events == [BotUttered(text=APOLOGY[language])]


def test_a_forms_rejection_is_still_rasas_to_handle(apologising, monkeypatch):
    async def reject(self, *args):
        raise ActionExecutionRejection(self.name(), "not this value")

    monkeypatch.setattr(RemoteAction, "run", reject)
    apologise_for_failed_actions()
    with pytest.raises(ActionExecutionRejection):
        run(RemoteAction("validate_ticket_form", NOBODY_LISTENS), "id")
