"""How many messages one customer may send a minute: beyond it, "slow down", and Rasa's time goes to others.

A person types a few messages a minute; a script looping on one sender id
keeps a Rasa process busy for everyone else. Each channel counts a sender's
messages over a sliding minute (``MESSAGE_RATE_PER_SENDER``, default 30; 0
turns the limit off) with the counters of :mod:`cxm_store.rate_limits`: in
Redis when ``RATE_LIMIT_REDIS_URL`` is set, so the Rasa processes of the
scaled topology share one allowance per sender. A message over the limit
never reaches Rasa, the classifier or the store: the REST webhook answers
``429`` with ``Retry-After``; the web chat and Telegram, whose customers
see no HTTP status, get :data:`SLOW_DOWN` as a chat reply.

A limit per client address belongs to the proxy in front of the Rasa
servers: behind it every customer has the proxy's address (docs/deploy.md).
"""
import time
from typing import Optional, Text

from bot import settings
from cxm_store.rate_limits import Counters, counters_for

WINDOW_S = 60.0
# What a REST client is told to wait before sending again.
RETRY_AFTER_S = 10

SLOW_DOWN = (
    "Pelan-pelan ya, Kak: pesannya banyak sekali dalam semenit. Tunggu sebentar, lalu kirim lagi.\n"
    "That's a lot of messages in a minute: please wait a moment, then send yours again."
)


class MessageRate:
    """At most ``per_sender`` messages per sender and channel in any minute."""

    def __init__(self, per_sender: Optional[int] = None, counters: Optional[Counters] = None) -> None:
        self.per_sender = settings.load().message_rate_per_sender if per_sender is None else per_sender
        self._counters = counters if counters is not None else counters_for("messages")

    def allows(self, channel: Text, sender: Text, now: Optional[float] = None) -> bool:
        """Count this message of ``sender`` unless the sender is over the limit (then False)."""
        if self.per_sender <= 0:
            return True
        moment = time.time() if now is None else now
        return self._counters.take(f"{channel}:{sender}", self.per_sender, WINDOW_S, moment)
