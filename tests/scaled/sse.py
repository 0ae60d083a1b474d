"""A web-chat customer's event stream (Server-Sent Events), as the page reads it."""
import asyncio
import json
from typing import Any, Dict, Optional

import aiohttp


class Stream:
    """One customer's open event stream, read line by line."""

    def __init__(self, reply: aiohttp.ClientResponse) -> None:
        self.reply = reply
        self.last_id: Optional[str] = None

    @classmethod
    async def open(
        cls, session: aiohttp.ClientSession, rasa_url: str, sender: str, last_id: Optional[str] = None
    ) -> "Stream":
        headers = {"Last-Event-ID": last_id} if last_id else {}
        reply = await session.get(f"{rasa_url}/webhooks/webchat/events/{sender}", headers=headers)
        assert reply.status == 200, await reply.text()
        assert (await reply.content.readline()).startswith(b": connected")
        return cls(reply)

    async def next_message(self, timeout: float) -> Optional[Dict[str, Any]]:
        """The next pushed message, or None if none comes within ``timeout`` s."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    line = (await self.reply.content.readline()).decode().rstrip("\n")
                    if line.startswith("id: "):
                        self.last_id = line[4:]
                    elif line.startswith("data: "):
                        return json.loads(line[6:])
        except TimeoutError:
            return None

    def close(self) -> None:
        self.reply.close()
