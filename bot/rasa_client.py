"""A small client of the Rasa server's HTTP API: what the console needs to talk to customers.

Every call raises :class:`RasaError` when Rasa cannot be reached or answers
an error, so the console can tell the agent their message was not delivered.
The auth token travels in an ``Authorization: Bearer`` header (see
``bot/rasa_server.py``), never in a URL, and is never logged.
"""
import json
import logging
from typing import Any, Dict, List, Optional
from urllib.parse import quote, urlencode

import aiohttp
from yarl import URL

from contract.dialogue import (
    ACTION_LISTEN,
    AGENT_METADATA_KEY,
    AGENT_NAME_METADATA_KEY,
    HANDOFF_AGENT_SLOT,
)

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10


class RasaError(RuntimeError):
    """Rasa did not accept a request (unreachable, timeout, or an error status)."""

    def __init__(self, message: str, status: Optional[int] = None) -> None:
        super().__init__(message)
        self.status = status


class RasaClient:
    """Appends events to a customer's tracker and runs actions, through ``output_channel``."""

    def __init__(self, base_url: str, token: str = "", timeout: float = TIMEOUT_SECONDS) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self._session: Optional[aiohttp.ClientSession] = None

    async def start(self) -> None:
        """Open the connection pool (call from the server's event loop)."""
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self.timeout)
        )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def url(self, sender_id: str, path: str, **query: str) -> str:
        """``{base}/conversations/{sender}/{path}?{query}``."""
        return (
            f"{self.base_url}/conversations/{quote(sender_id, safe='')}/{path}"
            f"?{urlencode(list(query.items()))}"
        )

    def headers(self) -> Dict[str, str]:
        """Request headers: JSON, and the API token if one is set."""
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    async def append_events(
        self, sender_id: str, output_channel: str, events: List[Dict[str, Any]]
    ) -> Any:
        """``POST /conversations/{sender}/tracker/events`` with side effects run.

        A ``bot`` event is then sent to the customer through ``output_channel``.
        """
        return await self._post(
            self.url(
                sender_id,
                "tracker/events",
                execute_side_effects="true",
                output_channel=output_channel,
            ),
            events,
        )

    async def send_agent_reply(
        self, sender_id: str, output_channel: str, text: str, agent: str, agent_name: str
    ) -> Any:
        """Deliver an agent's reply to the customer, as a ``bot`` event naming the agent.

        The agent's username in the metadata is what makes the capture record
        the line as the agent's; their display name travels beside it.
        """
        metadata = {AGENT_METADATA_KEY: agent, AGENT_NAME_METADATA_KEY: agent_name}
        return await self.append_events(
            sender_id, output_channel, [{"event": "bot", "text": text, "metadata": metadata}]
        )

    async def hand_back(self, sender_id: str, output_channel: str, agent: str) -> Any:
        """Give a conversation back to the bot after ``agent`` resolved it.

        ``handoff_agent`` attributes the follow-up survey to the agent; after
        ``resume`` the bot's turn ends with ``action_listen``, as after any
        reply, because the bot's rules expect it before the next message.
        """
        return await self.append_events(
            sender_id,
            output_channel,
            [
                {"event": "slot", "name": HANDOFF_AGENT_SLOT, "value": agent},
                {"event": "resume"},
                {"event": "action", "name": ACTION_LISTEN},
            ],
        )

    async def execute_action(self, sender_id: str, output_channel: str, name: str) -> Any:
        """``POST /conversations/{sender}/execute`` running action ``name``, then listen.

        ``/execute`` leaves the action as the tracker's last one; a turn of the
        conversation ends with ``action_listen``, and the bot's rules expect
        it before the customer's next message, so it is appended.
        """
        result = await self._post(
            self.url(sender_id, "execute", output_channel=output_channel), {"name": name}
        )
        await self._post(
            self.url(sender_id, "tracker/events"), [{"event": "action", "name": ACTION_LISTEN}]
        )
        return result

    async def _post(self, url: str, body: Any) -> Any:
        if self._session is None:
            await self.start()
        session = self._session
        assert session is not None  # start() opened it
        shown = url.split("?", 1)[0]
        try:
            async with session.post(
                URL(url, encoded=True), data=json.dumps(body), headers=self.headers()
            ) as reply:
                text = await reply.text()
                if reply.status >= 400:
                    logger.warning("Rasa answered %s to POST %s: %s", reply.status, shown, text[:300])
                    raise RasaError(f"Rasa answered {reply.status}", status=reply.status)
                try:
                    return json.loads(text) if text else None
                except ValueError:
                    return text
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            logger.warning("Rasa unreachable at POST %s: %r", shown, error)
            raise RasaError("Rasa not reachable") from error
