"""A custom action the action server cannot run gets an apology in the customer's language, never silence.

Rasa 3.6 logs a custom action that fails (the action server is down, was
killed during the call, timed out or answered an error) and carries on
without it: the customer's message is answered with nothing at all (REST
``200 []``). The scaled fault test saw it when an action server was killed
during a call. Here such a failure becomes the bot's apology, asking the
customer to send the message again; the failure is still logged. A
rejection (``ActionExecutionRejection``, a form refusing a value) is Rasa's
own control flow and passes through unchanged.
"""
import logging
from functools import wraps
from typing import Any, List

from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.shared.core.events import BotUttered, Event
from rasa.shared.exceptions import RasaException

from contract.dialogue import LANGUAGE_SLOT

logger = logging.getLogger(__name__)

APOLOGY = {
    "id": "Maaf Kak, sistem kami sedang tersendat sebentar. Boleh kirim ulang pesannya?",
    "en": "Sorry, our system stumbled for a moment. Could you send that again?",
}


def apologise_for_failed_actions() -> None:
    """Make every custom action that fails answer with :data:`APOLOGY` (in this process)."""
    original = RemoteAction.run

    @wraps(original)
    async def run(self: RemoteAction, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> List[Event]:
        try:
            return await original(self, output_channel, nlg, tracker, domain)
        except ActionExecutionRejection:
            raise
        except RasaException as error:
            logger.warning("custom action %s failed, the customer is asked to resend: %s", self.name(), error)
            language = tracker.get_slot(LANGUAGE_SLOT)
            return [BotUttered(text=APOLOGY.get(language, APOLOGY["id"]))]

    RemoteAction.run = run
